import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import pino from 'pino';
import { ManualClock } from '../src/clock.js';
import { REMOTE_KEY_DEFAULTS, RemoteKeyError, RemoteKeys } from '../src/oauth/remote-keys.js';

/** Fetching of JWKS and OpenID configurations: limits, discovery checks and caching. */
describe('remote key sets', () => {
  let server: Server;
  let base: string;
  let publicJwk: JWK;
  let privateJwk: JWK;
  let handler: (request: IncomingMessage, response: ServerResponse) => void;
  let requests = 0;

  before(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1' };
    privateJwk = { ...(await exportJWK(pair.privateKey)), kid: 'k2' };
    server = createServer((request, response) => {
      requests += 1;
      handler(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function json(body: unknown, status = 200) {
    return (_request: IncomingMessage, response: ServerResponse) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  function remoteKeys(clock = new ManualClock(Date.now()), options: Partial<typeof REMOTE_KEY_DEFAULTS> = {}) {
    return new RemoteKeys(clock, pino({ level: 'silent' }), { ...REMOTE_KEY_DEFAULTS, ...options, allowInsecure: true });
  }

  it('returns the public keys that fit the header and skips private ones', async () => {
    handler = json({ keys: [publicJwk, privateJwk, { kty: 'oct', k: 'c2VjcmV0', kid: 'k3' }] });
    const keys = remoteKeys();
    assert.equal((await keys.keysFor(`${base}/jwks`, { alg: 'ES256', kid: 'k1' })).length, 1);
    assert.equal((await keys.keysFor(`${base}/jwks`, { alg: 'ES256' })).length, 1, 'the private key is not among them');
    assert.equal((await keys.keysFor(`${base}/jwks`, { alg: 'RS256' })).length, 0);
  });

  it('refuses a response over the size limit, declared or streamed', async () => {
    const big = JSON.stringify({ keys: [publicJwk], padding: 'x'.repeat(70_000) });
    handler = (_request, response) => response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(big) }).end(big);
    await assert.rejects(remoteKeys().keysFor(`${base}/big`, { alg: 'ES256' }), (error: Error) => error instanceof RemoteKeyError && /sent \d+ bytes; at most 65536/.test(error.message));

    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"keys":[],"padding":"');
      response.end(`${'x'.repeat(70_000)}"}`);
    };
    await assert.rejects(remoteKeys().keysFor(`${base}/chunked`, { alg: 'ES256' }), /more than 65536 bytes/);
  });

  it('gives up on a slow server after the timeout', async () => {
    handler = (_request, response) => setTimeout(() => json({ keys: [publicJwk] })(_request, response), 1_000);
    const started = Date.now();
    await assert.rejects(remoteKeys(undefined, { timeoutMs: 200 }).keysFor(`${base}/slow`, { alg: 'ES256' }), RemoteKeyError);
    assert.ok(Date.now() - started < 900);
  });

  it('follows no redirects and refuses error statuses and non-JSON', async () => {
    handler = (_request, response) => response.writeHead(302, { location: `${base}/jwks` }).end();
    await assert.rejects(remoteKeys().keysFor(`${base}/moved`, { alg: 'ES256' }), RemoteKeyError);
    handler = json({ error: 'nope' }, 500);
    await assert.rejects(remoteKeys().keysFor(`${base}/broken`, { alg: 'ES256' }), /returned HTTP 500/);
    handler = (_request, response) => response.writeHead(200).end('<html>');
    await assert.rejects(remoteKeys().keysFor(`${base}/html`, { alg: 'ES256' }), /did not return JSON/);
    handler = json({ notKeys: [] });
    await assert.rejects(remoteKeys().keysFor(`${base}/odd`, { alg: 'ES256' }), /no "keys" array/);
  });

  it('refuses plain http unless allowed, and non-loopback http always', async () => {
    const strict = new RemoteKeys(new ManualClock(Date.now()), pino({ level: 'silent' }), { ...REMOTE_KEY_DEFAULTS, allowInsecure: false });
    await assert.rejects(strict.keysFor(`${base}/jwks`, { alg: 'ES256' }), /must use https/);
  });

  it('discovers jwks_uri only from a configuration that names the same issuer', async () => {
    handler = (request, response) => {
      if (request.url === '/good/.well-known/openid-configuration') return json({ issuer: `${base}/good`, jwks_uri: `${base}/good/jwks` })(request, response);
      if (request.url === '/liar/.well-known/openid-configuration') return json({ issuer: 'https://someone-else.example.com', jwks_uri: `${base}/liar/jwks` })(request, response);
      if (request.url === '/remote/.well-known/openid-configuration') return json({ issuer: `${base}/remote`, jwks_uri: 'http://10.0.0.1/jwks' })(request, response);
      response.writeHead(404).end();
    };
    const keys = remoteKeys();
    assert.equal(await keys.jwksUriOf(`${base}/good`), `${base}/good/jwks`);
    await assert.rejects(keys.jwksUriOf(`${base}/liar`), /names the issuer/);
    await assert.rejects(keys.jwksUriOf(`${base}/remote`), /jwks_uri .* must use https/);
  });

  it('caches a set, refetches at most once per interval, and serves a stale copy for a while when the URL fails', async () => {
    const clock = new ManualClock(Date.now());
    const keys = remoteKeys(clock);
    handler = json({ keys: [publicJwk] });
    requests = 0;

    await keys.keysFor(`${base}/cached`, { alg: 'ES256', kid: 'k1' });
    await keys.keysFor(`${base}/cached`, { alg: 'ES256', kid: 'k1' });
    assert.equal(requests, 1);

    // Unknown kids: one refetch once the interval has passed, none before.
    assert.deepEqual(await keys.keysFor(`${base}/cached`, { alg: 'ES256', kid: 'other' }), []);
    assert.equal(requests, 1);
    clock.advance(REMOTE_KEY_DEFAULTS.minRefetchMs);
    await Promise.all([keys.keysFor(`${base}/cached`, { alg: 'ES256', kid: 'other' }), keys.keysFor(`${base}/cached`, { alg: 'ES256', kid: 'other' })]);
    assert.equal(requests, 2, 'concurrent lookups share one fetch');

    // The set expires and the URL fails: the old copy stays in use up to maxStaleMs.
    handler = json({}, 503);
    clock.advance(REMOTE_KEY_DEFAULTS.cacheMs + 1);
    assert.equal((await keys.keysFor(`${base}/cached`, { alg: 'ES256', kid: 'k1' })).length, 1);
    clock.advance(REMOTE_KEY_DEFAULTS.maxStaleMs);
    await assert.rejects(keys.keysFor(`${base}/cached`, { alg: 'ES256', kid: 'k1' }), RemoteKeyError);
  });
});
