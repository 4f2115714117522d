import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type CryptoKey, calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { DAY_MS } from '../src/clock.js';
import { emailMessage } from '../src/notify/email-text.js';
import { keySourceUrlProblem } from '../src/oauth/remote-keys.js';
import { assertProblem } from './support/problem.js';
import { type HttpResult, type TestServer, basicAuth, createAccount, ensureInstance, introspect, postForm, startTestServer } from './support/server.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const CLIENT_AUTH_FAILED = 'Client authentication failed: check the client id and secret.';

interface KeyAccount {
  id: string;
  clientId: string;
  clientSecret: string;
  secretCredentialId: string;
  credentialId: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  kid: string;
  alg: string;
}

/** A small JWKS server on 127.0.0.1 whose keys a test can change; counts its requests. */
class JwksServer {
  keys: JWK[] = [];
  requests = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      this.requests += 1;
      if (request.url !== '/jwks.json') {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.keys }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks.json`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

describe('private_key_jwt client authentication', () => {
  let server: TestServer;
  let tokenUrl: string;
  const jwks = new JwksServer();
  let accounts = 0;

  before(async () => {
    await jwks.start();
    server = await startTestServer({ config: { allowInsecureJwksUrls: true } });
    await ensureInstance(server, 'jira', 'jira', 'https://jira.example.com');
    tokenUrl = `${server.baseUrl}/oauth/token`;
  });

  after(async () => {
    await server.close();
    await jwks.stop();
  });

  /** Seconds on the server's clock, which tests move; assertions are signed against it. */
  function serverNow(): number {
    return Math.floor(server.clock.now() / 1000);
  }

  /** Moves the server's clock; the admin session lasts 12 hours, so sign in again after a long jump. */
  async function advance(ms: number) {
    server.clock.advance(ms);
    assert.equal((await server.admin.signIn()).status, 200);
  }

  async function newKeyPair(alg = 'ES256') {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg.startsWith('RS') || alg.startsWith('PS') ? { modulusLength: 2048 } : {}) });
    const publicJwk = await exportJWK(publicKey);
    return { privateKey, publicJwk, kid: await calculateJwkThumbprint(publicJwk) };
  }

  /** Creates an account with a secret and registers a fresh public key (or the given body) as a second credential. */
  async function newKeyAccount(options: { alg?: string; credential?: (jwk: JWK) => Record<string, unknown>; disabled?: boolean } = {}): Promise<KeyAccount> {
    const alg = options.alg ?? 'ES256';
    const created = await createAccount(server, { name: `key-client-${++accounts}`, access: [{ instance: 'jira', scopes: ['WRITE'] }] });
    const pair = await newKeyPair(alg);
    const body = options.credential ? options.credential({ ...pair.publicJwk, kid: pair.kid }) : { publicKey: { ...pair.publicJwk, kid: pair.kid } };
    const registered = await server.admin.post(`/service-accounts/${created.id}/credentials`, body);
    assert.equal(registered.status, 201, registered.text);
    return { id: created.id, clientId: created.clientId, clientSecret: created.clientSecret, secretCredentialId: created.credentialId, credentialId: registered.body.id, ...pair, alg };
  }

  function sign(account: Pick<KeyAccount, 'clientId' | 'privateKey' | 'kid' | 'alg'>, claims: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
    const now = serverNow();
    return new SignJWT({ iss: account.clientId, sub: account.clientId, aud: tokenUrl, jti: randomUUID(), iat: now, exp: now + 60, ...claims })
      .setProtectedHeader({ alg: account.alg, kid: account.kid, ...header })
      .sign(account.privateKey);
  }

  function withAssertion(assertion: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<HttpResult> {
    return postForm(tokenUrl, { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: assertion, ...extra }, headers);
  }

  async function newestEvent(accountId: string, action: string) {
    const result = await server.admin.get(`/audit-events?account=${accountId}&action=${action}&limit=1`);
    assert.equal(result.status, 200, result.text);
    return result.body.items[0];
  }

  /** Asserts the public invalid_client answer and the private reason in the account's newest refusal. */
  async function assertRefused(result: HttpResult, account: { id: string }, reason: string, credentialId: string | null = null) {
    assert.equal(result.status, 401, result.text);
    assert.equal(result.body.error, 'invalid_client');
    assert.equal(result.body.error_description, CLIENT_AUTH_FAILED);
    assert.equal(result.headers.get('www-authenticate'), null);
    const event = await newestEvent(account.id, 'token.refused');
    assert.equal(event.reason, reason);
    assert.equal(event.outcome, 'failure');
    assert.equal(event.actor.id, account.id);
    assert.equal(event.actor.credentialId, credentialId);
  }

  it('issues a token for an assertion signed with a registered ES256 key, and audits it', async () => {
    const account = await newKeyAccount();
    const result = await withAssertion(await sign(account), { scope: 'READ' });

    assert.equal(result.status, 200, result.text);
    assert.equal(result.body.scope, 'READ');
    const claims = decodeJwt(result.body.access_token);
    assert.equal(claims.sub, account.id);
    assert.equal(claims.client_id, account.clientId);
    assert.equal(claims.credential_id, account.credentialId);
    assert.equal(claims.aud, 'https://jira.example.com');

    const event = await newestEvent(account.id, 'token.issued');
    assert.equal(event.outcome, 'success');
    assert.equal(event.actor.credentialId, account.credentialId);
    assert.equal(event.details.authMethod, 'private_key_jwt');

    const credentials = await server.admin.get(`/service-accounts/${account.id}/credentials`);
    const key = credentials.body.items.find((item: any) => item.id === account.credentialId);
    assert.ok(key.lastUsedAt, 'the key credential records its last use');
    assert.equal(key.lastUsedIp, '127.0.0.1');
    const secret = credentials.body.items.find((item: any) => item.id === account.secretCredentialId);
    assert.equal(secret.lastUsedAt, null);

    // The token works like any other: introspection with the account's secret sees it active.
    const introspection = await introspect(server, account, result.body.access_token);
    assert.equal(introspection.body.active, true);
    assert.equal(introspection.body.credential_id, account.credentialId);
  });

  it('accepts the token endpoint alias and the issuer as audience, and the alias URL itself', async () => {
    const account = await newKeyAccount();
    for (const aud of [`${server.baseUrl}/rest/oauth2/latest/token`, server.baseUrl, [tokenUrl, 'https://other.example.com']]) {
      const result = await withAssertion(await sign(account, { aud }));
      assert.equal(result.status, 200, `${JSON.stringify(aud)}: ${result.text}`);
    }
    const viaAlias = await postForm(`${server.baseUrl}/rest/oauth2/latest/token`, { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: await sign(account) });
    assert.equal(viaAlias.status, 200, viaAlias.text);
  });

  for (const alg of ['RS256', 'PS256', 'EdDSA']) {
    it(`accepts ${alg} with a key of the right type`, async () => {
      const account = await newKeyAccount({ alg });
      const result = await withAssertion(await sign(account));
      assert.equal(result.status, 200, result.text);
    });
  }

  it('lets oauth4webapi authenticate with PrivateKeyJwt (ES256 and Ed25519) after discovery', async () => {
    const issuer = new URL(server.baseUrl);
    const discovered = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true });
    const as = await oauth.processDiscoveryResponse(issuer, discovered);
    assert.ok(as.token_endpoint_auth_methods_supported?.includes('private_key_jwt'));

    for (const alg of ['ES256', 'EdDSA']) {
      const account = await newKeyAccount({ alg });
      // oauth4webapi signs with the real time; tell it how far the server's test clock is off.
      const client: oauth.Client = { client_id: account.clientId, [oauth.clockSkew]: serverNow() - Math.floor(Date.now() / 1000) };
      const auth = oauth.PrivateKeyJwt({ key: account.privateKey, kid: account.kid });

      const response = await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'READ' }, { [oauth.allowInsecureRequests]: true });
      const token = await oauth.processClientCredentialsResponse(as, client, response);
      assert.equal(token.scope, 'READ', alg);
      assert.equal(decodeJwt(token.access_token).credential_id, account.credentialId);
    }
  });

  it('combines with DPoP: oauth4webapi gets a sender-constrained token with PrivateKeyJwt', async () => {
    const account = await newKeyAccount();
    assert.equal((await server.admin.patch(`/service-accounts/${account.id}`, { dpopBound: true })).status, 200);
    const issuer = new URL(server.baseUrl);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }));
    const client: oauth.Client = { client_id: account.clientId, [oauth.clockSkew]: serverNow() - Math.floor(Date.now() / 1000) };
    const auth = oauth.PrivateKeyJwt({ key: account.privateKey, kid: account.kid });

    // The account requires DPoP, so a plain assertion is refused after authentication.
    const plain = await withAssertion(await sign(account));
    assert.equal(plain.status, 400);
    assert.equal(plain.body.error, 'invalid_dpop_proof');

    const DPoP = oauth.DPoP(client, await generateKeyPair('ES256'));
    const response = await oauth.clientCredentialsGrantRequest(as, client, auth, {}, { DPoP, [oauth.allowInsecureRequests]: true });
    const token = await oauth.processClientCredentialsResponse(as, client, response);
    assert.equal(token.token_type, 'dpop');
    assert.deepEqual(decodeJwt(token.access_token).cnf, { jkt: await DPoP.calculateThumbprint() });
  });

  it('verifies through a JWKS URL, caches the set, and refetches on an unknown kid at most once per interval', async () => {
    const pair = await newKeyPair();
    jwks.keys = [{ ...pair.publicJwk, kid: 'first', alg: 'ES256', use: 'sig' }];
    const account = await newKeyAccount({ credential: () => ({ jwksUrl: jwks.url }) });
    const signer = { clientId: account.clientId, privateKey: pair.privateKey, kid: 'first', alg: 'ES256' };

    const view = (await server.admin.get(`/service-accounts/${account.id}/credentials`)).body.items.find((item: any) => item.id === account.credentialId);
    assert.equal(view.type, 'public_key');
    assert.equal(view.jwksUrl, jwks.url);
    assert.equal(view.jwkThumbprint, null);

    const before = jwks.requests;
    assert.equal((await withAssertion(await sign(signer))).status, 200);
    assert.equal((await withAssertion(await sign(signer))).status, 200);
    assert.equal(jwks.requests - before, 1, 'the key set is fetched once and then cached');

    // The client rotates: a new key appears in its JWKS under a new kid.
    const next = await newKeyPair();
    jwks.keys = [...jwks.keys, { ...next.publicJwk, kid: 'second' }];
    const rotated = { clientId: account.clientId, privateKey: next.privateKey, kid: 'second', alg: 'ES256' };
    // Fetched moments ago, so an unknown kid does not trigger a refetch yet.
    await assertRefused(await withAssertion(await sign(rotated)), account, 'assertion_key_unknown');
    assert.equal(jwks.requests - before, 1);

    server.clock.advance(31_000);
    const result = await withAssertion(await sign(rotated));
    assert.equal(result.status, 200, result.text);
    assert.equal(jwks.requests - before, 2, 'an unknown kid triggered one refetch');

    const unknown = { ...rotated, kid: 'never-published' };
    await assertRefused(await withAssertion(await sign(unknown)), account, 'assertion_key_unknown');
    assert.equal(jwks.requests - before, 2, 'a made-up kid right after a fetch does not fetch again');
  });

  it('refuses a replayed jti', async () => {
    const account = await newKeyAccount();
    const assertion = await sign(account);

    assert.equal((await withAssertion(assertion)).status, 200);
    await assertRefused(await withAssertion(assertion), account, 'assertion_replayed', account.credentialId);
    // A fresh jti works again.
    assert.equal((await withAssertion(await sign(account))).status, 200);
  });

  it('refuses a wrong audience', async () => {
    const account = await newKeyAccount();
    await assertRefused(await withAssertion(await sign(account, { aud: 'https://jira.example.com' })), account, 'assertion_wrong_audience', account.credentialId);
  });

  it('refuses an expired assertion, allowing 30 seconds of clock skew', async () => {
    const account = await newKeyAccount();
    const now = serverNow();
    assert.equal((await withAssertion(await sign(account, { iat: now - 100, exp: now - 20 }))).status, 200, 'within the skew');
    await assertRefused(await withAssertion(await sign(account, { iat: now - 120, exp: now - 60 })), account, 'assertion_expired', account.credentialId);
  });

  it('refuses an assertion valid for longer than five minutes', async () => {
    const account = await newKeyAccount();
    await assertRefused(await withAssertion(await sign(account, { exp: serverNow() + 3600 })), account, 'assertion_lifetime_too_long', account.credentialId);
  });

  it('refuses an assertion without exp or jti, or not yet valid', async () => {
    const account = await newKeyAccount();
    await assertRefused(await withAssertion(await sign(account, { exp: undefined })), account, 'assertion_missing_exp', account.credentialId);
    await assertRefused(await withAssertion(await sign(account, { jti: undefined })), account, 'assertion_missing_jti', account.credentialId);
    await assertRefused(await withAssertion(await sign(account, { nbf: serverNow() + 120 })), account, 'assertion_not_yet_valid', account.credentialId);
    await assertRefused(await withAssertion(await sign(account, { iat: serverNow() + 120 })), account, 'assertion_issued_in_future', account.credentialId);
  });

  it('refuses iss or sub other than the client id', async () => {
    const account = await newKeyAccount();
    await assertRefused(await withAssertion(await sign(account, { iss: 'someone-else' })), account, 'assertion_wrong_issuer', account.credentialId);
  });

  it('refuses alg none and HS256, even keyed with the client secret', async () => {
    const account = await newKeyAccount();
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = serverNow();
    const payload = { iss: account.clientId, sub: account.clientId, aud: tokenUrl, jti: randomUUID(), iat: now, exp: now + 60 };

    const unsigned = `${encode({ alg: 'none' })}.${encode(payload)}.`;
    await assertRefused(await withAssertion(unsigned), account, 'assertion_alg_not_allowed');

    const hs256 = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(account.clientSecret));
    await assertRefused(await withAssertion(hs256), account, 'assertion_alg_not_allowed');
  });

  it('refuses an assertion signed by another key, whether it names the registered kid or another', async () => {
    const account = await newKeyAccount();
    const other = await newKeyPair();
    await assertRefused(await withAssertion(await sign({ ...account, privateKey: other.privateKey })), account, 'assertion_bad_signature');
    await assertRefused(await withAssertion(await sign({ ...account, privateKey: other.privateKey, kid: other.kid })), account, 'assertion_key_unknown');
    // An RS256 header against an EC key does not fit it either.
    const rsa = await newKeyPair('RS256');
    await assertRefused(await withAssertion(await sign({ ...account, privateKey: rsa.privateKey, alg: 'RS256' })), account, 'assertion_key_unknown');
  });

  it('refuses a revoked key credential and an expired one', async () => {
    const revoked = await newKeyAccount();
    const revocation = await server.admin.delete(`/service-accounts/${revoked.id}/credentials/${revoked.credentialId}`);
    assert.equal(revocation.status, 200);
    assert.equal(revocation.body.status, 'revoked');
    await assertRefused(await withAssertion(await sign(revoked)), revoked, 'credential_revoked', revoked.credentialId);

    const expiring = await newKeyAccount({ credential: (jwk) => ({ publicKey: jwk, expiresInDays: 1 }) });
    assert.equal((await withAssertion(await sign(expiring))).status, 200);
    await advance(DAY_MS + 60_000);
    await assertRefused(await withAssertion(await sign(expiring)), expiring, 'credential_expired', expiring.credentialId);
  });

  it('caps the token lifetime at the key credential expiry', async () => {
    const account = await newKeyAccount({ credential: (jwk) => ({ publicKey: jwk, expiresInDays: 1 }) });
    await advance(DAY_MS - 600_000);
    const result = await withAssertion(await sign(account));
    assert.equal(result.status, 200, result.text);
    assert.ok(result.body.expires_in <= 600, `expires_in ${result.body.expires_in}`);
  });

  it('refuses a disabled account', async () => {
    const account = await newKeyAccount();
    assert.equal((await server.admin.patch(`/service-accounts/${account.id}`, { status: 'disabled' })).status, 200);
    await assertRefused(await withAssertion(await sign(account)), account, 'account_disabled', account.credentialId);
  });

  it('refuses an unknown client with the same answer, audited as anonymous', async () => {
    const account = await newKeyAccount();
    const stranger = { ...account, clientId: 'tsc_doesnotexist' };
    const result = await withAssertion(await sign(stranger));
    assert.equal(result.status, 401);
    assert.equal(result.body.error_description, CLIENT_AUTH_FAILED);

    const events = await server.admin.get('/audit-events?action=token.refused&limit=1');
    assert.equal(events.body.items[0].reason, 'unknown_client');
    assert.equal(events.body.items[0].actor.type, 'anonymous');
    assert.equal(events.body.items[0].details.clientId, 'tsc_doesnotexist');
  });

  it('does not accept a key credential as a secret, nor a secret as a key', async () => {
    const account = await newKeyAccount();
    const empty = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basicAuth(account.clientId, '') });
    assert.equal(empty.status, 401);
    // The secret still works on its own.
    const secret = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basicAuth(account.clientId, account.clientSecret) });
    assert.equal(secret.status, 200);
    assert.equal(decodeJwt(secret.body.access_token).credential_id, account.secretCredentialId);

    // An account with only secrets has no key to check an assertion against.
    const secretsOnly = await createAccount(server, { name: `secrets-only-${++accounts}`, access: [{ instance: 'jira', scopes: ['READ'] }] });
    const pair = await newKeyPair();
    await assertRefused(await withAssertion(await sign({ clientId: secretsOnly.clientId, privateKey: pair.privateKey, kid: pair.kid, alg: 'ES256' })), secretsOnly, 'assertion_key_unknown');
  });

  it('refuses a request that mixes client_assertion with HTTP Basic or client_secret', async () => {
    const account = await newKeyAccount();
    const withBasic = await withAssertion(await sign(account), {}, { authorization: basicAuth(account.clientId, account.clientSecret) });
    assert.equal(withBasic.status, 400);
    assert.equal(withBasic.body.error, 'invalid_request');

    const withSecret = await withAssertion(await sign(account), { client_id: account.clientId, client_secret: account.clientSecret });
    assert.equal(withSecret.status, 400);
    assert.equal(withSecret.body.error, 'invalid_request');

    const otherId = await withAssertion(await sign(account), { client_id: 'tsc_someone-else' });
    assert.equal(otherId.status, 400);
    assert.equal(otherId.body.error, 'invalid_request');

    const wrongType = await postForm(tokenUrl, { grant_type: 'client_credentials', client_assertion_type: 'urn:example:saml', client_assertion: await sign(account) });
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.body.error, 'invalid_request');

    // client_id that matches the assertion is fine (oauth4webapi sends it).
    assert.equal((await withAssertion(await sign(account), { client_id: account.clientId })).status, 200);
  });

  it('throttles repeated failures like wrong secrets', async () => {
    const account = await newKeyAccount();
    const other = await newKeyPair();
    for (let attempt = 0; attempt < 10; attempt++) {
      assert.equal((await withAssertion(await sign({ ...account, privateKey: other.privateKey }))).status, 401);
    }
    const throttled = await withAssertion(await sign(account));
    assert.equal(throttled.status, 429);
    assert.equal(throttled.body.error, 'slow_down');
    assert.ok(Number(throttled.headers.get('retry-after')) > 0);
    server.clock.advance(61_000);
    assert.equal((await withAssertion(await sign(account))).status, 200);
  });

  describe('admin API', () => {
    let accountId: string;

    before(async () => {
      accountId = (await createAccount(server, { name: 'key-admin-probe', access: [{ instance: 'jira', scopes: ['READ'] }] })).id;
    });

    it('returns the view of a registered key with its RFC 7638 thumbprint, and audits it', async () => {
      const { publicJwk } = await newKeyPair();
      const created = await server.admin.post(`/service-accounts/${accountId}/credentials`, { publicKey: { ...publicJwk, x5c: ['ignored'] }, expiresInDays: 30 });

      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.type, 'public_key');
      assert.equal(created.body.status, 'active');
      assert.equal(created.body.clientSecret, undefined);
      assert.equal(created.body.jwkThumbprint, await calculateJwkThumbprint(publicJwk));
      assert.deepEqual(created.body.publicKey, publicJwk);
      assert.equal(created.body.jwksUrl, null);
      assert.ok(created.body.expiresAt);

      const event = await newestEvent(accountId, 'credential.created');
      assert.equal(event.target.id, created.body.id);
      assert.equal(event.details.type, 'public_key');
      assert.equal(event.details.jwkThumbprint, created.body.jwkThumbprint);
    });

    it('keeps the secret response as it was, with type "secret"', async () => {
      const created = await server.admin.post(`/service-accounts/${accountId}/credentials`, { expiresInDays: 10 });
      assert.equal(created.status, 201);
      assert.deepEqual(Object.keys(created.body).sort(), ['clientSecret', 'createdAt', 'expiresAt', 'id', 'lastUsedAt', 'lastUsedIp', 'replacedBy', 'revokedAt', 'status', 'type']);
      assert.equal(created.body.type, 'secret');
      assert.match(created.body.clientSecret, /^tss_/);
      const bare = await server.admin.request('POST', `/service-accounts/${accountId}/credentials`);
      assert.equal(bare.status, 201);
      assert.match(bare.body.clientSecret, /^tss_/);
    });

    it('rejects private key material with a clear 400', async () => {
      const { privateKey } = await newKeyPair();
      const privateJwk = await exportJWK(privateKey);
      const result = await server.admin.post(`/service-accounts/${accountId}/credentials`, { publicKey: privateJwk });

      assertProblem(result, 400, 'validation_failed', 'publicKey');
      assert.match(result.body.detail, /private key material \(the "d" member\)/);
      const rsa = await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey);
      assert.match((await server.admin.post(`/service-accounts/${accountId}/credentials`, { publicKey: rsa })).body.detail, /private key material/);
    });

    it('rejects keys that are symmetric, weak, of another curve or malformed', async () => {
      const post = (body: unknown) => server.admin.post(`/service-accounts/${accountId}/credentials`, body);
      // jose refuses to make a weak key, so node:crypto does.
      const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
      const p384 = await exportJWK((await generateKeyPair('ES384', { extractable: true })).publicKey);
      const { publicJwk } = await newKeyPair();

      const cases: Array<[unknown, RegExp]> = [
        [{ kty: 'oct', k: 'c2VjcmV0' }, /symmetric key/],
        [rsa1024, /RSA key of 1024 bits; use at least 2048/],
        [p384, /P-256/],
        [{ ...publicJwk, alg: 'RS256' }, /"alg": "RS256"/],
        [{ ...publicJwk, use: 'enc' }, /"use": "sig"/],
        [{ ...publicJwk, x: 'AAAA' }, /not a valid EC public key/],
        [{ kty: 'EC', crv: 'P-256' }, /lacks the "x" member/],
        [{ kty: 'XYZ' }, /kty "XYZ"/],
        ['not-an-object', /publicKey must be of type object|must be a JSON object/],
      ];
      for (const [publicKey, message] of cases) {
        const result = await post({ publicKey });
        assert.equal(result.status, 400, JSON.stringify(publicKey));
        assert.equal(result.body.code, 'validation_failed');
        assert.equal(result.body.field, 'publicKey');
        assert.match(result.body.detail, message);
      }
    });

    it('validates jwksUrl and refuses publicKey together with it', async () => {
      const post = (body: unknown) => server.admin.post(`/service-accounts/${accountId}/credentials`, body);
      const { publicJwk } = await newKeyPair();

      assertProblem(await post({ publicKey: publicJwk, jwksUrl: 'https://keys.example.com/jwks.json' }), 400, 'validation_failed', 'jwksUrl');
      assertProblem(await post({ jwksUrl: 'http://keys.example.com/jwks.json' }), 400, 'validation_failed', 'jwksUrl');
      assertProblem(await post({ jwksUrl: 'not a url' }), 400, 'validation_failed', 'jwksUrl');
      assertProblem(await post({ jwksUrl: 'https://user:pw@keys.example.com/jwks.json' }), 400, 'validation_failed', 'jwksUrl');
      assertProblem(await post({ jwksUrl: 'ftp://keys.example.com/jwks.json' }), 400, 'validation_failed', 'jwksUrl');
      assertProblem(await post({ jwksUrl: 'https://keys.example.com/jwks.json', bogus: 1 }), 400, 'validation_failed', 'bogus');
      assert.equal((await post({ jwksUrl: 'https://keys.example.com/jwks.json' })).status, 201);
    });

    it('applies the credential policy to keys as to secrets: lifetime and live count', async () => {
      const account = await createAccount(server, { name: 'key-policy-probe', access: [{ instance: 'jira', scopes: ['READ'] }] });
      const post = async (body: Record<string, unknown>) => server.admin.post(`/service-accounts/${account.id}/credentials`, { publicKey: (await newKeyPair()).publicJwk, ...body });
      assert.equal((await server.admin.put('/policy', { credentials: { maxLifetimeDays: 30, maxLivePerAccount: 2 } })).status, 200);
      try {
        assertProblem(await post({ expiresInDays: 60 }), 400, 'policy_violation', 'expiresInDays');
        assertProblem(await post({ expiresInDays: null }), 400, 'policy_violation', 'expiresInDays');
        const capped = await post({});
        assert.equal(capped.status, 201, capped.text);
        assert.ok(Date.parse(capped.body.expiresAt) <= server.clock.now() + 30 * DAY_MS);

        // The account's secret and this key are two live credentials: a third of either kind is refused.
        const third = await post({ expiresInDays: 10 });
        assertProblem(third, 400, 'policy_violation');
        assert.match(third.body.detail, /credentials\.maxLivePerAccount/);
        assertProblem(await server.admin.post(`/service-accounts/${account.id}/credentials`, { expiresInDays: 10 }), 400, 'policy_violation');

        // A revoked key no longer counts.
        await server.admin.delete(`/service-accounts/${account.id}/credentials/${capped.body.id}`);
        assert.equal((await post({ expiresInDays: 10 })).status, 201);
      } finally {
        assert.equal((await server.admin.put('/policy', {})).status, 200);
      }
    });

    it('refuses to rotate a key credential', async () => {
      const { publicJwk } = await newKeyPair();
      const created = await server.admin.post(`/service-accounts/${accountId}/credentials`, { publicKey: publicJwk });
      const rotated = await server.admin.post(`/service-accounts/${accountId}/credentials/${created.body.id}/rotate`, {});
      assertProblem(rotated, 409, 'credential_not_rotatable');
    });

    it('words expiry notices for a key as a key, not a secret to rotate', () => {
      const account = { id: 'a1', name: 'build', clientId: 'tsc_x', owner: '', lastUsedAt: null, url: 'https://tessera.example.com/service-accounts/a1' };
      const credential = { id: 'c1', type: 'public_key' as const, expiresAt: '2026-04-01T00:00:00.000Z', daysLeft: 7 };
      const expiring = emailMessage({ id: 'e1', type: 'credential.expiring', createdAt: '2026-03-25T00:00:00.000Z', account, credential }).text;
      assert.match(expiring, /register the new public key/);
      assert.doesNotMatch(expiring, /choose Rotate/);
      const expired = emailMessage({ id: 'e2', type: 'credential.expired', createdAt: '2026-04-01T00:00:00.000Z', account, credential }).text;
      assert.match(expired, /Register a new public key/);
      assert.match(emailMessage({ id: 'e3', type: 'credential.expiring', createdAt: '2026-03-25T00:00:00.000Z', account, credential: { ...credential, type: 'secret' } }).text, /choose Rotate/);
    });

    it('allows http JWKS URLs only on loopback and only with the test flag', () => {
      assert.equal(keySourceUrlProblem('https://keys.example.com/jwks', false), undefined);
      assert.match(keySourceUrlProblem('http://127.0.0.1:8000/jwks', false) ?? '', /TESSERA_ALLOW_INSECURE_JWKS_URLS/);
      assert.equal(keySourceUrlProblem('http://127.0.0.1:8000/jwks', true), undefined);
      assert.equal(keySourceUrlProblem('http://localhost:8000/jwks', true), undefined);
      assert.equal(keySourceUrlProblem('http://[::1]:8000/jwks', true), undefined);
      assert.equal(keySourceUrlProblem('http://10.0.0.1/jwks', true), 'must use https');
      assert.equal(keySourceUrlProblem('https://keys.example.com/jwks#x', false), 'must not contain a fragment');
    });
  });
});
