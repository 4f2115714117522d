import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ApiRoute, registeredApiRoutes } from '../src/admin-api/openapi.js';
import { type TestServer, startTestServer } from './support/server.js';

/** Routes deliberately left out of the document: the document itself. */
const UNDOCUMENTED = new Set(['GET /api/v1/openapi.json']);

/** Turns a Fastify path such as /service-accounts/:id into the OpenAPI form /service-accounts/{id}. */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Returns the routes the document must list: every GET, POST, PUT, PATCH and DELETE under /api/v1, without Fastify's automatic HEAD routes. */
function documentedRoutes(app: TestServer['tessera']['app']): ApiRoute[] {
  return registeredApiRoutes(app).filter((route) => route.method !== 'HEAD' && !UNDOCUMENTED.has(`${route.method} ${route.url}`));
}

describe('OpenAPI document', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });

  after(() => server.close());

  it('lists the contract paths', async () => {
    const response = await fetch(`${server.baseUrl}/api/v1/openapi.json`);
    const document = await response.json();

    assert.equal(response.status, 200);
    assert.equal(document.openapi, '3.1.0');
    for (const path of [
      '/api/v1/session',
      '/api/v1/session/oidc',
      '/api/v1/session/oidc/start',
      '/api/v1/session/oidc/callback',
      '/api/v1/instances',
      '/api/v1/service-accounts',
      '/api/v1/service-accounts/{id}',
      '/api/v1/service-accounts/{id}/credentials',
      '/api/v1/service-accounts/{id}/credentials/{credentialId}',
      '/api/v1/service-accounts/{id}/credentials/{credentialId}/rotate',
      '/api/v1/audit-events',
      '/api/v1/notifications/deliveries',
      '/api/v1/notifications/deliveries/{id}/retry',
      '/api/v1/notifications/signing-secret',
      '/api/v1/service-accounts/{id}/notifications',
      '/api/v1/reports/expiring-credentials',
      '/api/v1/reports/unused-accounts',
      '/api/v1/reports/seats',
      '/api/v1/instances/{id}/seats',
      '/api/v1/migrations/imports',
      '/api/v1/migrations/imports/{id}',
      '/api/v1/migrations/imports/{id}/proposals/{proposalId}/accept',
      '/api/v1/migrations/imports/{id}/proposals/{proposalId}/reject',
      '/api/v1/migrations/manifest',
      '/api/v1/audit-sinks',
      '/api/v1/audit-sinks/{id}',
      '/api/v1/audit-retention',
      '/api/v1/audit-checkpoints',
    ]) {
      assert.ok(document.paths[path], `missing ${path}`);
    }
    assert.equal(document.paths['/oauth/token'], undefined);
  });

  it('documents every registered admin API route', async () => {
    const document = await (await fetch(`${server.baseUrl}/api/v1/openapi.json`)).json();
    const routes = documentedRoutes(server.tessera.app);

    assert.ok(routes.length >= 50, `only ${routes.length} routes were recorded`);
    for (const route of routes) {
      assert.ok(document.paths[openApiPath(route.url)]?.[route.method.toLowerCase()], `${route.method} ${route.url} is missing from the OpenAPI document`);
    }
  });

  it('documents no operation without a route', async () => {
    const document = await (await fetch(`${server.baseUrl}/api/v1/openapi.json`)).json();
    const routes = new Set(documentedRoutes(server.tessera.app).map((route) => `${route.method.toLowerCase()} ${openApiPath(route.url)}`));

    for (const [path, operations] of Object.entries<Record<string, unknown>>(document.paths)) {
      for (const method of Object.keys(operations)) assert.ok(routes.has(`${method} ${path}`), `${method.toUpperCase()} ${path} is documented but not registered`);
    }
  });

  it('gives every operation a summary and a tag', async () => {
    const document = await (await fetch(`${server.baseUrl}/api/v1/openapi.json`)).json();

    for (const route of documentedRoutes(server.tessera.app)) {
      const operation = document.paths[openApiPath(route.url)][route.method.toLowerCase()];
      assert.equal(typeof operation.summary, 'string', `${route.method} ${route.url} has no summary; add one to admin-api/route-summaries.ts`);
      assert.ok(operation.summary.length > 0, `${route.method} ${route.url} has an empty summary`);
      assert.deepEqual(operation.tags, [route.url.split('/')[3]], `tags of ${route.method} ${route.url}`);
    }
  });

  it('describes every path parameter', async () => {
    const document = await (await fetch(`${server.baseUrl}/api/v1/openapi.json`)).json();

    for (const route of documentedRoutes(server.tessera.app)) {
      const operation = document.paths[openApiPath(route.url)][route.method.toLowerCase()];
      const documented = (operation.parameters ?? []).filter((parameter: { in: string }) => parameter.in === 'path').map((parameter: { name: string }) => parameter.name);
      const expected = [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => match[1]);
      assert.deepEqual(documented.sort(), expected.sort(), `path parameters of ${route.method} ${route.url}`);
    }
  });

  it('describes request bodies from the route schemas', async () => {
    const document = await (await fetch(`${server.baseUrl}/api/v1/openapi.json`)).json();
    const schema = document.paths['/api/v1/service-accounts'].post.requestBody.content['application/json'].schema;

    assert.deepEqual(schema.required, ['name']);
    assert.equal(schema.additionalProperties, false);
    assert.ok(schema.properties.access);
  });

  it('describes both import formats', async () => {
    const document = await (await fetch(`${server.baseUrl}/api/v1/openapi.json`)).json();
    const content = document.paths['/api/v1/migrations/imports'].post.requestBody.content;

    assert.deepEqual(Object.keys(content).sort(), ['application/json', 'text/csv']);
    assert.deepEqual(content['application/json'].schema.required, ['accounts']);
  });
});
