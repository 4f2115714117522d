import assert from 'node:assert/strict';
import { createPublicKey, sign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair } from 'jose';
import { type TestServer, createAccount, requestToken, startTestServer } from '../../server/test/support/server.js';
import { type Guard, GuardError, type Principal } from '../src/index.js';
import { CONFLUENCE_AUDIENCE, JIRA_AUDIENCE, RecordingLogger, accountWithToken, bearer, guardFor, setUpInstances } from './support.js';

function base64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

async function rejectionOf(guard: Guard, authorization: string | undefined): Promise<GuardError> {
  const result = await guard.authenticate(authorization);
  assert.equal(result.ok, false, 'expected a rejection');
  if (result.ok) throw new Error('unreachable');
  assert.ok(result.error instanceof GuardError);
  return result.error;
}

async function principalOf(guard: Guard, token: string): Promise<Principal> {
  const result = await guard.authenticate(bearer(token));
  if (!result.ok) assert.fail(`expected the token to pass, got ${result.error.code}: ${result.error.description}`);
  return result.principal;
}

describe('guard token verification against a real Tessera', () => {
  let server: TestServer;
  let guard: Guard;
  let logger: RecordingLogger;
  let writer: { account: { id: string; clientId: string; credentialId: string }; token: string };

  before(async () => {
    server = await startTestServer();
    await setUpInstances(server);
    logger = new RecordingLogger();
    // No client credentials: these tests are about verification, and the feed may not exist yet.
    guard = guardFor(server, undefined, { logger });
    await guard.start();
    writer = await accountWithToken(server, { scopes: ['WRITE'], resources: { project: ['OPS', 'WEB'] } });
  });

  after(async () => {
    await guard.close();
    await server.close();
  });

  /** Signs claims with the server's current signing key, to make tokens that Tessera itself never issues. */
  function signWithServerKey(header: Record<string, unknown>, claims: Record<string, unknown>): string {
    const key = server.tessera.context.keyRing.currentKey();
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const signingInput = `${encode({ ...header, alg: key.alg, kid: key.kid })}.${encode(claims)}`;
    return `${signingInput}.${sign('sha256', Buffer.from(signingInput), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  }

  it('returns the principal of a valid token', async () => {
    const principal = await principalOf(guard, writer.token);
    const claims = decodeJwt(writer.token);

    assert.equal(principal.accountId, writer.account.id);
    assert.equal(principal.clientId, writer.account.clientId);
    assert.equal(principal.credentialId, writer.account.credentialId);
    assert.equal(principal.instance, 'jira');
    assert.equal(principal.audience, JIRA_AUDIENCE);
    assert.deepEqual([...principal.scopes], ['WRITE']);
    assert.deepEqual({ ...principal.resources }, { project: ['OPS', 'WEB'] });
    assert.equal(principal.tokenId, claims.jti);
    assert.equal(principal.expiresAt, (claims.exp as number) * 1000);
    assert.equal(principal.generation, claims.generation);
    assert.ok(Object.isFrozen(principal));
  });

  it('accepts a lowercase bearer scheme', async () => {
    const result = await guard.authenticate(`bearer ${writer.token}`);
    assert.equal(result.ok, true);
  });

  it('serves a repeated token from the cache', async () => {
    const { token } = await accountWithToken(server, { scopes: ['READ'], resources: { project: '*' } });
    const before = guard.stats();

    await principalOf(guard, token);
    const afterFirst = guard.stats();
    const second = await principalOf(guard, token);
    const third = await principalOf(guard, token);
    const afterThird = guard.stats();

    assert.equal(afterFirst.verified, before.verified + 1);
    assert.equal(afterFirst.cacheHits, before.cacheHits);
    assert.equal(afterThird.verified, afterFirst.verified);
    assert.equal(afterThird.cacheHits, afterFirst.cacheHits + 2);
    assert.equal(second, third);
  });

  it('checks scopes with implication from the profile', async () => {
    const principal = await principalOf(guard, writer.token);

    assert.equal(guard.requireScope(principal, 'WRITE'), undefined);
    assert.equal(guard.requireScope(principal, 'READ'), undefined);
    assert.equal(guard.requireScope(principal, 'read:issue'), undefined);
    assert.equal(guard.requireScope(principal, 'write:comment'), undefined);

    const denied = guard.requireScope(principal, 'manage:project');
    assert.ok(denied);
    assert.equal(denied.code, 'insufficient_scope');
    assert.equal(denied.status, 403);
    assert.equal(denied.wwwAuthenticate, 'Bearer error="insufficient_scope", error_description="The access token lacks the scope manage:project.", scope="manage:project"');
  });

  it('denies a write scope to a read token', async () => {
    const { token } = await accountWithToken(server, { scopes: ['READ'] }, { scope: 'read:issue' });
    const principal = await principalOf(guard, token);

    assert.deepEqual([...principal.scopes], ['read:issue']);
    assert.equal(guard.requireScope(principal, 'read:issue'), undefined);
    assert.equal(guard.requireScope(principal, 'READ')?.code, 'insufficient_scope');
    assert.equal(guard.requireScope(principal, 'write:issue')?.code, 'insufficient_scope');
    assert.equal(guard.requireScope(principal, 'read:comment')?.code, 'insufficient_scope');
  });

  it('allows only the listed projects of a restricted token', async () => {
    const principal = await principalOf(guard, writer.token);

    assert.equal(guard.requireResource(principal, { type: 'project', id: 'OPS' }), undefined);
    assert.equal(guard.requireResource(principal, { type: 'project', id: 'WEB' }), undefined);

    const denied = guard.requireResource(principal, { type: 'project', id: 'SECRET' });
    assert.ok(denied);
    assert.equal(denied.code, 'resource_forbidden');
    assert.equal(denied.status, 403);
    assert.equal(denied.wwwAuthenticate, 'Bearer error="insufficient_scope", error_description="The access token does not grant access to project SECRET."');
    assert.equal(guard.requireResource(principal, { type: 'project', id: 'ops' })?.code, 'resource_forbidden');
  });

  it('allows every project of an unrestricted token', async () => {
    const { token } = await accountWithToken(server, { scopes: ['READ'], resources: { project: '*' } });
    const principal = await principalOf(guard, token);

    assert.equal(guard.requireResource(principal, { type: 'project', id: 'OPS' }), undefined);
    assert.equal(guard.requireResource(principal, { type: 'project', id: 'ANYTHING' }), undefined);
  });

  it('denies every project when the grant lists none', async () => {
    const { token } = await accountWithToken(server, { scopes: ['READ'] });
    const principal = await principalOf(guard, token);

    assert.deepEqual({ ...principal.resources }, {});
    assert.equal(guard.requireResource(principal, { type: 'project', id: 'OPS' })?.code, 'resource_forbidden');
  });

  it('rejects a token for another instance', async () => {
    const account = await accountWithToken(server, { scopes: ['READ'] });
    const confluence = await server.admin.patch(`/service-accounts/${account.account.id}`, {
      access: [
        { instance: 'jira', scopes: ['READ'] },
        { instance: 'confluence', scopes: ['READ'], resources: { space: '*' } },
      ],
    });
    assert.equal(confluence.status, 200);
    const issued = await requestToken(server, account.account, { resource: CONFLUENCE_AUDIENCE });
    assert.equal(issued.status, 200);

    const error = await rejectionOf(guard, bearer(issued.body.access_token));
    assert.equal(error.code, 'wrong_audience');
    assert.equal(error.status, 401);
    assert.equal(error.wwwAuthenticate, 'Bearer error="invalid_token", error_description="The access token is for another audience."');
  });

  it('rejects an expired token, cached or not', async () => {
    const { token } = await accountWithToken(server, { scopes: ['READ'] });
    const exp = decodeJwt(token).exp as number;
    await principalOf(guard, token);
    const start = server.clock.now();

    try {
      // One second before exp the cached entry still serves.
      server.clock.set(exp * 1000 - 1000);
      const hits = guard.stats().cacheHits;
      await principalOf(guard, token);
      assert.equal(guard.stats().cacheHits, hits + 1);

      // Past exp the cache returns nothing, and the clock tolerance of 30 s still lets the token pass.
      server.clock.set(exp * 1000 + 10_000);
      const verified = guard.stats().verified;
      await principalOf(guard, token);
      assert.equal(guard.stats().verified, verified + 1);

      server.clock.set(exp * 1000 + 31_000);
      const error = await rejectionOf(guard, bearer(token));
      assert.equal(error.code, 'expired');
      assert.equal(error.wwwAuthenticate, 'Bearer error="invalid_token", error_description="The access token expired."');
    } finally {
      server.clock.set(start);
    }
  });

  it('rejects a token issued in the future beyond the tolerance', async () => {
    const early = guardFor(server, undefined, { now: () => server.clock.now() - 60_000 });
    try {
      const { token } = await accountWithToken(server, { scopes: ['READ'] });
      assert.equal((await rejectionOf(early, bearer(token))).code, 'not_yet_valid');
    } finally {
      await early.close();
    }
  });

  it('rejects a token signed by an unknown key', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const claims = decodeJwt(writer.token);
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'not-a-tessera-key' }).sign(privateKey);

    assert.equal((await rejectionOf(guard, bearer(forged))).code, 'unknown_key');
  });

  it('rejects a token signed by another key under a known kid', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const { kid } = decodeProtectedHeader(writer.token);
    const forged = await new SignJWT(decodeJwt(writer.token)).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid }).sign(privateKey);

    assert.equal((await rejectionOf(guard, bearer(forged))).code, 'invalid_signature');
  });

  it('rejects an unsigned token with alg none', async () => {
    const { kid } = decodeProtectedHeader(writer.token);
    const unsigned = `${base64url({ alg: 'none', typ: 'at+jwt', kid })}.${base64url(decodeJwt(writer.token))}.`;

    const error = await rejectionOf(guard, bearer(unsigned));
    assert.equal(error.code, 'algorithm_not_allowed');
    assert.equal(error.status, 401);
  });

  it('rejects HS256 keyed with the public key', async () => {
    const { kid } = decodeProtectedHeader(writer.token);
    const jwks = (await (await fetch(`${server.baseUrl}/oauth/jwks`)).json()) as { keys: Array<Record<string, unknown>> };
    const jwk = jwks.keys.find((key) => key.kid === kid);
    assert.ok(jwk, 'the JWKS publishes the signing key');
    const publicKeyBytes = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const confused = await new SignJWT(decodeJwt(writer.token)).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid }).sign(new Uint8Array(Buffer.from(publicKeyBytes)));

    assert.equal((await rejectionOf(guard, bearer(confused))).code, 'algorithm_not_allowed');
  });

  it('rejects a validly signed token with typ JWT', async () => {
    const token = signWithServerKey({ typ: 'JWT' }, decodeJwt(writer.token));
    assert.equal((await rejectionOf(guard, bearer(token))).code, 'wrong_type');

    const untyped = signWithServerKey({}, decodeJwt(writer.token));
    assert.equal((await rejectionOf(guard, bearer(untyped))).code, 'wrong_type');
  });

  it('accepts the media type form application/at+jwt', async () => {
    const token = signWithServerKey({ typ: 'application/at+jwt' }, decodeJwt(writer.token));
    await principalOf(guard, token);
  });

  it('rejects a validly signed token from another issuer', async () => {
    const token = signWithServerKey({ typ: 'at+jwt' }, { ...decodeJwt(writer.token), iss: 'http://127.0.0.1:1' });
    assert.equal((await rejectionOf(guard, bearer(token))).code, 'wrong_issuer');
  });

  it('rejects an audience array even when it lists this audience', async () => {
    const token = signWithServerKey({ typ: 'at+jwt' }, { ...decodeJwt(writer.token), aud: [JIRA_AUDIENCE, CONFLUENCE_AUDIENCE] });
    assert.equal((await rejectionOf(guard, bearer(token))).code, 'wrong_audience');
  });

  it('rejects a token with nbf in the future', async () => {
    const nbf = Math.floor(server.clock.now() / 1000) + 120;
    const token = signWithServerKey({ typ: 'at+jwt' }, { ...decodeJwt(writer.token), nbf });
    assert.equal((await rejectionOf(guard, bearer(token))).code, 'not_yet_valid');
  });

  it('rejects a token older than the maximum lifetime', async () => {
    const now = Math.floor(server.clock.now() / 1000);
    const token = signWithServerKey({ typ: 'at+jwt' }, { ...decodeJwt(writer.token), iat: now - 90_000, exp: now + 3600 });
    assert.equal((await rejectionOf(guard, bearer(token))).code, 'expired');
  });

  for (const claim of ['sub', 'client_id', 'jti', 'credential_id', 'exp', 'iat']) {
    it(`rejects a token without ${claim}`, async () => {
      const claims: Record<string, unknown> = { ...decodeJwt(writer.token) };
      delete claims[claim];
      const error = await rejectionOf(guard, bearer(signWithServerKey({ typ: 'at+jwt' }, claims)));

      assert.equal(error.code, 'malformed_token');
      assert.equal(error.description, `The access token has no ${claim} claim.`);
    });
  }

  const badClaims: Array<[string, unknown]> = [
    ['resources', { project: 'OPS' }],
    ['resources', ['OPS']],
    ['resources', { project: [1, 2] }],
    ['scope', ['READ']],
    ['generation', -1],
    ['generation', '1'],
    ['sub', 42],
  ];
  for (const [claim, value] of badClaims) {
    it(`rejects ${claim} set to ${JSON.stringify(value)}`, async () => {
      const token = signWithServerKey({ typ: 'at+jwt' }, { ...decodeJwt(writer.token), [claim]: value });
      const error = await rejectionOf(guard, bearer(token));

      assert.equal(error.code, 'malformed_token');
      assert.match(error.description, new RegExp(`invalid ${claim} claim`));
    });
  }

  it('treats a resource type named __proto__ as an ordinary key', async () => {
    const claims = { ...decodeJwt(writer.token), resources: JSON.parse('{"__proto__": ["X"], "project": ["OPS"]}') };
    const principal = await principalOf(guard, signWithServerKey({ typ: 'at+jwt' }, claims));

    assert.equal(Object.getPrototypeOf(principal.resources), null);
    assert.deepEqual(principal.resources.project, ['OPS']);
    assert.equal(guard.requireResource(principal, { type: 'project', id: 'OPS' }), undefined);
  });

  it('answers a request without a token with a bare challenge', async () => {
    for (const header of [undefined, '', 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer   ']) {
      const error = await rejectionOf(guard, header);
      assert.equal(error.code, 'missing_token', `header ${JSON.stringify(header)}`);
      assert.equal(error.status, 401);
      assert.equal(error.wwwAuthenticate, 'Bearer');
    }
  });

  it('rejects malformed tokens', async () => {
    for (const header of ['Bearer not-a-jwt', 'Bearer a.b', 'Bearer a b c', 'Bearer {"alg":"none"}', 'Bearer a.b.c', `Bearer ${'a'.repeat(20_000)}.b.c`]) {
      const error = await rejectionOf(guard, header);
      assert.equal(error.code, 'malformed_token', `header ${header.slice(0, 40)}`);
      assert.equal(error.status, 401);
      assert.match(error.wwwAuthenticate ?? '', /^Bearer error="invalid_token", error_description="/);
    }
  });

  it('needs client credentials for opaque tokens', async () => {
    const created = await server.admin.post('/instances', { slug: 'vault', name: 'Vault', profile: 'generic', audience: 'https://vault.example.com', tokenFormat: 'opaque' });
    assert.equal(created.status, 201);
    const account = await createAccount(server, { name: 'vault-reader', access: [{ instance: 'vault', scopes: ['READ'] }] });
    const issued = await requestToken(server, account);
    assert.match(issued.body.access_token, /^tso_/);

    const error = await rejectionOf(guard, bearer(issued.body.access_token));
    assert.equal(error.code, 'malformed_token');
    assert.match(error.description, /clientId and clientSecret/);
  });

  it('never puts a token into an error or a log line', async () => {
    const { token } = await accountWithToken(server, { scopes: ['READ'] });
    const tampered = `${token.slice(0, -4)}AAAA`;
    const error = await rejectionOf(guard, bearer(tampered));
    const signature = token.split('.')[2];

    assert.equal(error.code, 'invalid_signature');
    for (const text of [error.message, error.description, error.wwwAuthenticate ?? '', String(error.cause), logger.text()]) {
      assert.ok(!text.includes(token.split('.')[1]), 'the token payload leaked');
      assert.ok(!text.includes(signature.slice(0, 20)), 'the token signature leaked');
    }
  });

  it('counts rejections in stats', async () => {
    const before = guard.stats().rejected;
    await guard.authenticate(undefined);
    await guard.authenticate('Bearer x.y.z');

    const stats = guard.stats();
    assert.equal(stats.rejected, before + 2);
    assert.equal(stats.feedLagMs, null);
    assert.equal(stats.reportsSent, 0);
  });
});
