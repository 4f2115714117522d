import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { type CryptoKey, type JWK, SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { type TestServer, basicAuth, createAccount, startTestServer } from '../../server/test/support/server.js';
import * as expressAdapter from '../src/adapters/express.js';
import * as fastifyAdapter from '../src/adapters/fastify.js';
import * as honoAdapter from '../src/adapters/hono.js';
import * as nodeHttp from '../src/adapters/node-http.js';
import type { Guard } from '../src/index.js';
import { JIRA_AUDIENCE, accountWithToken, bearer, closeServer, guardFor, listenOnLoopback, setUpInstances } from './support.js';

interface ProofKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  thumbprint: string;
}

async function proofKey(): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

const ALGS = 'algs="ES256 EdDSA RS256 PS256"';

function challenge(error: string, description: string): string {
  return `DPoP error="${error}", error_description="${description}", ${ALGS}`;
}

/** A product app under test: its base URL and how to stop it. */
interface App {
  baseUrl: string;
  close(): Promise<void>;
}

async function startNodeHttp(guard: Guard): Promise<App> {
  const server = createServer(nodeHttp.withGuard(guard, (_req, res, principal) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accountId: principal.accountId }))));
  const baseUrl = await listenOnLoopback(server);
  return { baseUrl, close: () => closeServer(server) };
}

async function startFastify(guard: Guard): Promise<App> {
  const app = Fastify();
  await app.register(fastifyAdapter.tesseraGuard, { guard });
  app.get('/projects/:key/issues', async (request) => ({ accountId: request.tessera!.accountId }));
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  return { baseUrl, close: () => app.close() };
}

async function startExpress(guard: Guard): Promise<App> {
  const app = express();
  app.get('/projects/:key/issues', expressAdapter.tesseraGuard(guard), (req, res) => {
    res.json({ accountId: req.tessera!.accountId });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => closeServer(server) };
}

async function startHono(guard: Guard): Promise<App> {
  const app = new Hono<{ Variables: honoAdapter.TesseraVariables }>();
  app.use('/projects/*', honoAdapter.tesseraGuard(guard));
  app.get('/projects/:key/issues', (c) => c.json({ accountId: c.get('tessera').accountId }));
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const ADAPTERS = { 'node-http': startNodeHttp, fastify: startFastify, express: startExpress, hono: startHono };

describe('guard with DPoP-bound tokens', () => {
  let server: TestServer;
  let guard: Guard;
  let key: ProofKey;
  let boundToken: string;
  let boundAccountId: string;
  let bearerToken: string;
  let product: Awaited<ReturnType<typeof setUpInstances>>;

  /** Signs a proof at the server's current time, with claims to override. */
  function sign(claims: Record<string, unknown>, signer: ProofKey = key): Promise<string> {
    const payload = { jti: randomUUID(), iat: Math.floor(server.clock.now() / 1000), ...claims };
    return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: signer.publicJwk }).sign(signer.privateKey);
  }

  function ath(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  /** Requests a token bound to `signer` from the real token endpoint. */
  async function requestBoundToken(client: { clientId: string; clientSecret: string }, signer: ProofKey): Promise<string> {
    const proof = await sign({ htm: 'POST', htu: `${server.baseUrl}/oauth/token` }, signer);
    const response = await fetch(`${server.baseUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client.clientId, client.clientSecret), dpop: proof },
      body: 'grant_type=client_credentials',
    });
    const body = await response.json();
    assert.equal(body.token_type, 'DPoP');
    return body.access_token;
  }

  before(async () => {
    server = await startTestServer();
    product = await setUpInstances(server);
    // The apps listen on loopback ports, so the public URL is the one each request arrived at.
    guard = guardFor(server, undefined, { publicUrl: ({ url }) => url.href });
    await guard.start();
    key = await proofKey();
    const account = await createAccount(server, { name: 'dpop-guard-client', access: [{ instance: 'jira', scopes: ['READ'], resources: { project: '*' } }] });
    boundAccountId = account.id;
    boundToken = await requestBoundToken(account, key);
    bearerToken = (await accountWithToken(server, { scopes: ['READ'], resources: { project: '*' } })).token;
  });

  after(async () => {
    await guard.close();
    await server.close();
  });

  for (const [name, start] of Object.entries(ADAPTERS)) {
    describe(name, () => {
      let app: App;
      let url: string;

      before(async () => {
        app = await start(guard);
        url = `${app.baseUrl}/projects/OPS/issues`;
      });

      after(() => app.close());

      async function call(authorization: string, proofs: string[] = [], method = 'GET') {
        const headers = new Headers({ authorization });
        for (const proof of proofs) headers.append('dpop', proof);
        const response = await fetch(`${url}?expand=all`, { method, headers });
        const text = await response.text();
        return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
      }

      it('accepts a bound token with its proof', async () => {
        const response = await call(`DPoP ${boundToken}`, [await sign({ htm: 'GET', htu: url, ath: ath(boundToken) })]);

        assert.equal(response.status, 200);
        assert.deepEqual(response.body, { accountId: boundAccountId });
      });

      it('checks the proof again on a cached token', async () => {
        const cacheHits = guard.stats().cacheHits;
        const accepted = await call(`DPoP ${boundToken}`, [await sign({ htm: 'GET', htu: url, ath: ath(boundToken) })]);
        const withoutProof = await call(`DPoP ${boundToken}`);

        assert.equal(accepted.status, 200);
        assert.ok(guard.stats().cacheHits > cacheHits, 'the token verification came from the cache');
        assert.equal(withoutProof.status, 401);
        assert.equal(withoutProof.body.error, 'invalid_dpop_proof');
        assert.equal(withoutProof.headers.get('www-authenticate'), challenge('invalid_dpop_proof', 'The request has no DPoP header; send a DPoP proof with the DPoP-bound token.'));
      });

      it('rejects a proof by another key', async () => {
        const other = await proofKey();
        const response = await call(`DPoP ${boundToken}`, [await sign({ htm: 'GET', htu: url, ath: ath(boundToken) }, other)]);

        assert.equal(response.status, 401);
        assert.deepEqual(response.body, { error: 'invalid_dpop_proof', error_description: 'The DPoP proof is signed by another key than the one the access token is bound to.' });
        assert.equal(response.headers.get('www-authenticate'), challenge('invalid_dpop_proof', response.body.error_description));
        assert.equal(response.headers.get('cache-control'), 'no-store');
      });

      it('rejects a wrong ath', async () => {
        const response = await call(`DPoP ${boundToken}`, [await sign({ htm: 'GET', htu: url, ath: ath(bearerToken) })]);

        assert.equal(response.status, 401);
        assert.equal(response.body.error, 'invalid_dpop_proof');
        assert.match(response.body.error_description, /ath claim/);
      });

      it('rejects a wrong htm', async () => {
        const response = await call(`DPoP ${boundToken}`, [await sign({ htm: 'POST', htu: url, ath: ath(boundToken) })]);

        assert.equal(response.status, 401);
        assert.equal(response.body.error_description, 'The htm claim of the DPoP proof must be the request method GET.');
      });

      it('rejects a wrong htu', async () => {
        const response = await call(`DPoP ${boundToken}`, [await sign({ htm: 'GET', htu: `${app.baseUrl}/projects/OTHER/issues`, ath: ath(boundToken) })]);

        assert.equal(response.status, 401);
        assert.equal(response.body.error_description, `The htu claim of the DPoP proof must be the request URL ${url} without query or fragment.`);
      });

      it('rejects a replayed proof', async () => {
        const proof = await sign({ htm: 'GET', htu: url, ath: ath(boundToken) });
        const first = await call(`DPoP ${boundToken}`, [proof]);
        const replayed = await call(`DPoP ${boundToken}`, [proof]);

        assert.equal(first.status, 200);
        assert.equal(replayed.status, 401);
        assert.equal(replayed.body.error_description, 'This DPoP proof was used before; create a new proof with a fresh jti for every request.');
      });

      it('rejects two proofs', async () => {
        const proof = () => sign({ htm: 'GET', htu: url, ath: ath(boundToken) });
        const response = await call(`DPoP ${boundToken}`, [await proof(), await proof()]);

        assert.equal(response.status, 401);
        assert.equal(response.body.error_description, 'The request has 2 DPoP proofs; send exactly one.');
      });

      it('rejects a bound token as Bearer', async () => {
        const response = await call(bearer(boundToken));

        assert.equal(response.status, 401);
        assert.deepEqual(response.body, { error: 'invalid_token', error_description: 'The access token is bound to a DPoP key; send it with Authorization: DPoP and a DPoP proof.' });
        assert.equal(response.headers.get('www-authenticate'), challenge('invalid_token', response.body.error_description));
      });

      it('rejects an unbound token with DPoP', async () => {
        const response = await call(`DPoP ${bearerToken}`, [await sign({ htm: 'GET', htu: url, ath: ath(bearerToken) })]);

        assert.equal(response.status, 401);
        assert.deepEqual(response.body, { error: 'invalid_token', error_description: 'The access token is not bound to a DPoP key; send it with Authorization: Bearer.' });
      });

      it('still accepts a bearer token', async () => {
        const response = await call(bearer(bearerToken));

        assert.equal(response.status, 200);
      });
    });
  }

  describe('core', () => {
    const requestUrl = 'http://127.0.0.1:9/projects/OPS/issues';

    it('rejects a proof with an old iat', async () => {
      const proof = await sign({ htm: 'GET', htu: requestUrl, ath: ath(boundToken), iat: Math.floor(server.clock.now() / 1000) - 61 });
      const result = await guard.authenticate(`DPoP ${boundToken}`, { method: 'GET', url: requestUrl, dpop: proof });

      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.error.code, 'invalid_dpop_proof');
      assert.match(!result.ok ? result.error.description : '', /more than 60 seconds ago/);
    });

    it('rejects a DPoP token without request details', async () => {
      const result = await guard.authenticate(`DPoP ${boundToken}`);

      assert.equal(!result.ok && result.error.code, 'invalid_dpop_proof');
    });

    it('gives an expired token a DPoP challenge', async () => {
      const proof = await sign({ htm: 'GET', htu: requestUrl, ath: ath(boundToken) });
      const later = guardFor(server, undefined, { publicUrl: ({ url }) => url.href, now: () => server.clock.now() + 3700_000 });

      const result = await later.authenticate(`DPoP ${boundToken}`, { method: 'GET', url: requestUrl, dpop: proof });

      assert.equal(!result.ok && result.error.code, 'expired');
      assert.equal(!result.ok && result.error.wwwAuthenticate, challenge('invalid_token', 'The access token expired.'));
    });

    it('takes the public URL from the audience by default', async () => {
      const byAudience = guardFor(server, undefined);
      const proof = await sign({ htm: 'GET', htu: `${JIRA_AUDIENCE}/projects/OPS/issues`, ath: ath(boundToken) });
      const spoofed = await sign({ htm: 'GET', htu: requestUrl, ath: ath(boundToken) });

      const accepted = await byAudience.authenticate(`DPoP ${boundToken}`, { method: 'GET', url: `${requestUrl}?page=2`, dpop: proof });
      const rejected = await byAudience.authenticate(`DPoP ${boundToken}`, { method: 'GET', url: requestUrl, dpop: spoofed });

      assert.equal(accepted.ok, true);
      assert.equal(!rejected.ok && rejected.error.code, 'invalid_dpop_proof');
    });

    it('requires a proof for a bound opaque token', async () => {
      const switched = await server.admin.patch('/instances/jira', { tokenFormat: 'opaque' });
      assert.equal(switched.status, 200);
      const account = await createAccount(server, { name: 'dpop-guard-opaque', access: [{ instance: 'jira', scopes: ['READ'], resources: { project: '*' } }] });
      const opaqueToken = await requestBoundToken(account, key);
      const introspecting = guardFor(server, product, { publicUrl: ({ url }) => url.href });
      const proof = await sign({ htm: 'GET', htu: requestUrl, ath: ath(opaqueToken) });

      const asBearer = await introspecting.authenticate(bearer(opaqueToken));
      const withProof = await introspecting.authenticate(`DPoP ${opaqueToken}`, { method: 'GET', url: requestUrl, dpop: proof });

      assert.match(opaqueToken, /^tso_/);
      assert.equal(!asBearer.ok && asBearer.error.code, 'dpop_bound_token');
      assert.equal(withProof.ok && withProof.principal.dpopKeyThumbprint, key.thumbprint);
      await server.admin.patch('/instances/jira', { tokenFormat: 'jwt' });
    });

    it('exposes the key thumbprint on the principal', async () => {
      const proof = await sign({ htm: 'GET', htu: requestUrl, ath: ath(boundToken) });
      const result = await guard.authenticate(`DPoP ${boundToken}`, { method: 'GET', url: requestUrl, dpop: proof });

      assert.equal(result.ok && result.principal.dpopKeyThumbprint, key.thumbprint);
    });
  });
});
