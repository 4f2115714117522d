import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestServer, startTestServer } from './support/server.js';

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
