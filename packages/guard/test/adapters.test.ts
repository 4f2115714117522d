import assert from 'node:assert/strict';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { type Context, Hono } from 'hono';
import { type TestServer, startTestServer } from '../../server/test/support/server.js';
import * as expressAdapter from '../src/adapters/express.js';
import * as fastifyAdapter from '../src/adapters/fastify.js';
import * as honoAdapter from '../src/adapters/hono.js';
import * as nodeHttp from '../src/adapters/node-http.js';
import type { Guard, Principal, UsageReport } from '../src/index.js';
import { accountWithToken, bearer, closeServer, guardFor, listenOnLoopback, setUpInstances } from './support.js';

/** A product app under test: its base URL and how to stop it. */
interface App {
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * Every app serves the same two routes: reading issues of a project needs read:issue,
 * creating one needs write:issue, and both check the project against the token's
 * restrictions. The response names the account, which shows that the principal reached the handler.
 */
const ISSUES_ROUTE = '/projects/:key/issues';

const pathOf = (req: IncomingMessage) => (req.url ?? '/').split('?')[0];

async function startNodeHttp(guard: Guard): Promise<App> {
  const read = nodeHttp.withGuard(guard, (req, res, principal) => answer(guard, req, res, principal), { scope: 'read:issue', route: ISSUES_ROUTE });
  const write = nodeHttp.withGuard(guard, (req, res, principal) => answer(guard, req, res, principal), { scope: 'write:issue', route: ISSUES_ROUTE });
  const server = createServer((req, res) => {
    if (!/^\/projects\/[^/]+\/issues$/.test(pathOf(req))) {
      res.writeHead(404).end();
      return;
    }
    void (req.method === 'POST' ? write : read)(req, res);
  });
  const baseUrl = await listenOnLoopback(server);
  return { baseUrl, close: () => closeServer(server) };
}

function answer(guard: Guard, req: IncomingMessage, res: ServerResponse, principal: Principal): void {
  const key = pathOf(req).split('/')[2];
  const resource = { type: 'project', id: key };
  const denied = guard.requireResource(principal, resource);
  if (denied) return nodeHttp.sendRejection(res, denied);

  nodeHttp.setUsageResource(req, resource);
  res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ accountId: principal.accountId, project: key }));
}

async function startFastify(guard: Guard): Promise<App> {
  const app = Fastify();
  await app.register(fastifyAdapter.tesseraGuard, { guard });
  const handler = async (request: FastifyRequest<{ Params: { key: string } }>, reply: FastifyReply) => {
    const resource = { type: 'project', id: request.params.key };
    const denied = guard.requireResource(request.tessera!, resource);
    if (denied) return fastifyAdapter.sendRejection(reply, denied);

    request.tesseraResource = resource;
    return reply.code(request.method === 'POST' ? 201 : 200).send({ accountId: request.tessera!.accountId, project: request.params.key });
  };
  app.get<{ Params: { key: string } }>(ISSUES_ROUTE, { preHandler: fastifyAdapter.requireScope(guard, 'read:issue') }, handler);
  app.post<{ Params: { key: string } }>(ISSUES_ROUTE, { preHandler: fastifyAdapter.requireScope(guard, 'write:issue') }, handler);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return { baseUrl: address, close: () => app.close() };
}

async function startExpress(guard: Guard): Promise<App> {
  const app = express();
  app.use(expressAdapter.tesseraGuard(guard));
  const router = express.Router();
  const handler: express.RequestHandler<{ key: string }> = (req, res) => {
    const resource = { type: 'project', id: req.params.key };
    const denied = guard.requireResource(req.tessera!, resource);
    if (denied) return expressAdapter.sendRejection(res, denied);

    res.locals.tesseraResource = resource;
    res.status(req.method === 'POST' ? 201 : 200).json({ accountId: req.tessera!.accountId, project: req.params.key });
  };
  // Mounted under a router, so the reported template must join the router's base path and the route path.
  router.get('/:key/issues', expressAdapter.tesseraGuard(guard, { scope: 'read:issue' }), handler);
  router.post('/:key/issues', expressAdapter.tesseraGuard(guard, { scope: 'write:issue' }), handler);
  app.use('/projects', router);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => closeServer(server) };
}

async function startHono(guard: Guard): Promise<App> {
  const app = new Hono<{ Variables: honoAdapter.TesseraVariables }>();
  app.use('/projects/*', honoAdapter.tesseraGuard(guard));
  const handler = (c: Context<{ Variables: honoAdapter.TesseraVariables }>) => {
    const key = c.req.param('key') as string;
    const resource = { type: 'project', id: key };
    const denied = guard.requireResource(c.get('tessera'), resource);
    if (denied) return honoAdapter.rejectionResponse(denied);

    c.set('tesseraResource', resource);
    return c.json({ accountId: c.get('tessera').accountId, project: key }, c.req.method === 'POST' ? 201 : 200);
  };
  app.get(ISSUES_ROUTE, honoAdapter.tesseraGuard(guard, { scope: 'read:issue' }), handler);
  app.post(ISSUES_ROUTE, honoAdapter.tesseraGuard(guard, { scope: 'write:issue' }), handler);
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const ADAPTERS = { 'node-http': startNodeHttp, fastify: startFastify, express: startExpress, hono: startHono };

describe('guard adapters over real HTTP', () => {
  let server: TestServer;
  let guard: Guard;
  let reader: Awaited<ReturnType<typeof accountWithToken>>;
  let writer: Awaited<ReturnType<typeof accountWithToken>>;
  const reports: UsageReport[] = [];

  before(async () => {
    server = await startTestServer();
    await setUpInstances(server);
    guard = guardFor(server, undefined);
    // Records each report, so the test can check what the adapter reported without waiting for a flush.
    const report = guard.report.bind(guard);
    guard.report = (principal, usage) => {
      reports.push(usage);
      report(principal, usage);
    };
    await guard.start();
    reader = await accountWithToken(server, { scopes: ['READ'], resources: { project: ['OPS'] } });
    writer = await accountWithToken(server, { scopes: ['WRITE'], resources: { project: '*' } });
  });

  after(async () => {
    await guard.close();
    await server.close();
  });

  for (const [name, start] of Object.entries(ADAPTERS)) {
    describe(name, () => {
      let app: App;

      before(async () => {
        app = await start(guard);
      });

      after(() => app.close());

      async function call(method: string, path: string, authorization?: string) {
        const response = await fetch(`${app.baseUrl}${path}`, { method, headers: authorization ? { authorization } : {} });
        const text = await response.text();
        return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
      }

      /** Waits for the report that the adapter sends after the response, and returns it. */
      async function nextReport(count: number): Promise<UsageReport> {
        for (let attempt = 0; attempt < 100 && reports.length < count; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
        assert.equal(reports.length, count, 'one usage report per authenticated request');
        return reports[count - 1];
      }

      it('passes the principal to the handler', async () => {
        const before = reports.length;
        const response = await call('GET', '/projects/OPS/issues?expand=all', bearer(reader.token));

        assert.equal(response.status, 200);
        assert.deepEqual(response.body, { accountId: reader.account.id, project: 'OPS' });
        assert.deepEqual(await nextReport(before + 1), { method: 'GET', route: ISSUES_ROUTE, status: 200, resource: { type: 'project', id: 'OPS' } });
      });

      it('answers 401 without a token', async () => {
        const before = reports.length;
        const response = await call('GET', '/projects/OPS/issues');

        assert.equal(response.status, 401);
        assert.equal(response.headers.get('www-authenticate'), 'Bearer');
        assert.equal(response.headers.get('cache-control'), 'no-store');
        assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
        assert.deepEqual(response.body, { error: 'invalid_request', error_description: 'The request has no bearer token in the Authorization header.' });
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(reports.length, before, 'no usage report without a principal');
      });

      it('answers 401 for an invalid token', async () => {
        const response = await call('GET', '/projects/OPS/issues', bearer(`${reader.token.slice(0, -4)}AAAA`));

        assert.equal(response.status, 401);
        assert.equal(response.headers.get('www-authenticate'), 'Bearer error="invalid_token", error_description="The access token signature is invalid."');
        assert.deepEqual(response.body, { error: 'invalid_token', error_description: 'The access token signature is invalid.' });
      });

      it('answers 403 for a missing scope and reports it', async () => {
        const before = reports.length;
        const response = await call('POST', '/projects/OPS/issues', bearer(reader.token));

        assert.equal(response.status, 403);
        assert.equal(response.headers.get('www-authenticate'), 'Bearer error="insufficient_scope", error_description="The access token lacks the scope write:issue.", scope="write:issue"');
        assert.deepEqual(response.body, { error: 'insufficient_scope', error_description: 'The access token lacks the scope write:issue.' });
        const report = await nextReport(before + 1);
        assert.equal(report.status, 403);
        assert.equal(report.route, ISSUES_ROUTE);
      });

      it('answers 403 for a project outside the restrictions', async () => {
        const response = await call('GET', '/projects/SECRET/issues', bearer(reader.token));

        assert.equal(response.status, 403);
        assert.deepEqual(response.body, { error: 'insufficient_scope', error_description: 'The access token does not grant access to project SECRET.' });
      });

      it('lets a coarse scope through a fine check', async () => {
        const before = reports.length;
        const response = await call('POST', '/projects/ANY/issues', bearer(writer.token));

        assert.equal(response.status, 201);
        assert.deepEqual(response.body, { accountId: writer.account.id, project: 'ANY' });
        assert.deepEqual(await nextReport(before + 1), { method: 'POST', route: ISSUES_ROUTE, status: 201, resource: { type: 'project', id: 'ANY' } });
      });
    });
  }
});
