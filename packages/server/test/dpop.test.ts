import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type CryptoKey, type JWK, SignJWT, calculateJwkThumbprint, createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import {
  type CreatedAccount,
  type HttpResult,
  type TestServer,
  basicAuth,
  createAccount,
  ensureInstance,
  introspect,
  postForm,
  queryDatabase,
  startTestServer,
} from './support/server.js';

interface ProofKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  alg: string;
  thumbprint: string;
}

async function proofKey(alg = 'ES256'): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicJwk, alg, thumbprint: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('DPoP at the token endpoint', () => {
  let server: TestServer;
  let account: CreatedAccount;
  let key: ProofKey;
  let tokenUrl: string;
  const audience = 'https://jira.example.com';

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira', 'jira', audience);
    account = await createAccount(server, { name: 'dpop-client', access: [{ instance: 'jira', scopes: ['READ'] }] });
    key = await proofKey();
    tokenUrl = `${server.baseUrl}/oauth/token`;
  });

  after(() => server.close());

  /** Signs a proof for the token endpoint at the server's current time, with claims and header fields to override. */
  function sign(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, signer: ProofKey = key): Promise<string> {
    const payload = { htm: 'POST', htu: tokenUrl, jti: randomUUID(), iat: Math.floor(server.clock.now() / 1000), ...claims };
    return new SignJWT(payload).setProtectedHeader({ alg: signer.alg, typ: 'dpop+jwt', jwk: signer.publicJwk, ...header }).sign(signer.privateKey);
  }

  function requestWithProofs(proofs: string[], client: CreatedAccount = account, url = tokenUrl): Promise<HttpResult> {
    const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client.clientId, client.clientSecret) });
    for (const proof of proofs) headers.append('dpop', proof);
    return fetch(url, { method: 'POST', headers, body: 'grant_type=client_credentials' }).then(async (response) => {
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: JSON.parse(text), text };
    });
  }

  async function lastRefusal(): Promise<any> {
    const [event] = (await server.admin.get('/audit-events?action=token.refused&limit=1')).body.items;
    return event;
  }

  async function assertRejected(result: HttpResult, reason: string): Promise<void> {
    assert.equal(result.status, 400, result.text);
    assert.equal(result.body.error, 'invalid_dpop_proof');
    assert.equal(typeof result.body.error_description, 'string');
    assert.equal(result.headers.get('cache-control'), 'no-store');
    const event = await lastRefusal();
    assert.equal(event.reason, reason);
    assert.equal(event.actor.id, account.id);
    assert.equal(event.details.error, 'invalid_dpop_proof');
  }

  it('issues a token bound to the proof key', async () => {
    const result = await requestWithProofs([await sign()]);

    assert.equal(result.status, 200, result.text);
    assert.equal(result.body.token_type, 'DPoP');
    assert.equal(result.headers.get('cache-control'), 'no-store');
    const jwks = createRemoteJWKSet(new URL(`${server.baseUrl}/oauth/jwks`));
    const { payload } = await jwtVerify(result.body.access_token, jwks, { issuer: server.baseUrl, audience, typ: 'at+jwt', algorithms: ['ES256'] });
    assert.deepEqual(payload.cnf, { jkt: key.thumbprint });
    const [issued] = (await server.admin.get('/audit-events?action=token.issued&limit=1')).body.items;
    assert.equal(issued.details.dpopJkt, key.thumbprint);
  });

  it('issues a Bearer token without a proof', async () => {
    const result = await requestWithProofs([]);

    assert.equal(result.status, 200);
    assert.equal(result.body.token_type, 'Bearer');
    const [, payload] = result.body.access_token.split('.');
    assert.equal(JSON.parse(Buffer.from(payload, 'base64url').toString()).cnf, undefined);
  });

  it('accepts EdDSA, RS256 and PS256 proofs', async () => {
    for (const alg of ['EdDSA', 'RS256', 'PS256']) {
      const other = await proofKey(alg);
      const result = await requestWithProofs([await sign({}, {}, other)]);

      assert.equal(result.status, 200, `${alg}: ${result.text}`);
      const [, payload] = result.body.access_token.split('.');
      assert.deepEqual(JSON.parse(Buffer.from(payload, 'base64url').toString()).cnf, { jkt: other.thumbprint }, alg);
    }
  });

  it('accepts the alias endpoint with its own htu', async () => {
    const aliasUrl = `${server.baseUrl}/rest/oauth2/latest/token`;
    const accepted = await requestWithProofs([await sign({ htu: aliasUrl })], account, aliasUrl);
    const rejected = await requestWithProofs([await sign()], account, aliasUrl);

    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(accepted.body.token_type, 'DPoP');
    await assertRejected(rejected, 'dpop_wrong_htu');
  });

  it('normalises htu scheme, host, port and query', async () => {
    const port = new URL(server.baseUrl).port;
    const result = await requestWithProofs([await sign({ htu: `HTTP://127.0.0.1:${port}/oauth/token?ignored=1#fragment` })]);

    assert.equal(result.status, 200, result.text);
  });

  it('rejects two DPoP headers', async () => {
    const result = await requestWithProofs([await sign(), await sign()]);

    await assertRejected(result, 'dpop_several_proofs');
    assert.match(result.body.error_description, /2 DPoP headers/);
  });

  it('rejects a proof that is not a JWT', async () => {
    await assertRejected(await requestWithProofs(['not-a-jwt']), 'dpop_malformed');
  });

  it('rejects a wrong typ', async () => {
    await assertRejected(await requestWithProofs([await sign({}, { typ: 'JWT' })]), 'dpop_wrong_typ');
  });

  it('rejects alg none', async () => {
    const header = { alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk };
    const unsigned = `${base64url(header)}.${base64url({ htm: 'POST', htu: tokenUrl, jti: randomUUID(), iat: Math.floor(server.clock.now() / 1000) })}.`;

    await assertRejected(await requestWithProofs([unsigned]), 'dpop_algorithm_not_allowed');
  });

  it('rejects HS256', async () => {
    const secret = new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!');
    const proof = await new SignJWT({ htm: 'POST', htu: tokenUrl, jti: randomUUID(), iat: Math.floor(server.clock.now() / 1000) })
      // jose's types forbid a symmetric jwk in a header, which is exactly the mistake under test.
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', ...({ jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url') } } as object) })
      .sign(secret);

    await assertRejected(await requestWithProofs([proof]), 'dpop_algorithm_not_allowed');
  });

  it('rejects a proof without jwk', async () => {
    await assertRejected(await requestWithProofs([await sign({}, { jwk: undefined })]), 'dpop_missing_jwk');
  });

  it('rejects a private key in jwk', async () => {
    const privateJwk = await exportJWK(key.privateKey);
    assert.equal(typeof privateJwk.d, 'string');

    const result = await requestWithProofs([await sign({}, { jwk: privateJwk })]);

    await assertRejected(result, 'dpop_private_jwk');
    assert.ok(!JSON.stringify(await lastRefusal()).includes(privateJwk.d!), 'the private key reaches no audit event');
  });

  it('rejects a signature by another key', async () => {
    const other = await proofKey();

    await assertRejected(await requestWithProofs([await sign({}, { jwk: other.publicJwk })]), 'dpop_invalid_signature');
  });

  it('rejects a wrong htm', async () => {
    await assertRejected(await requestWithProofs([await sign({ htm: 'GET' })]), 'dpop_wrong_htm');
  });

  it('rejects a wrong htu', async () => {
    await assertRejected(await requestWithProofs([await sign({ htu: 'https://elsewhere.example.com/oauth/token' })]), 'dpop_wrong_htu');
  });

  it('rejects an iat too old', async () => {
    await assertRejected(await requestWithProofs([await sign({ iat: Math.floor(server.clock.now() / 1000) - 61 })]), 'dpop_iat_too_old');
  });

  it('rejects an iat in the future', async () => {
    await assertRejected(await requestWithProofs([await sign({ iat: Math.floor(server.clock.now() / 1000) + 61 })]), 'dpop_iat_in_future');
  });

  it('rejects a missing jti', async () => {
    await assertRejected(await requestWithProofs([await sign({ jti: undefined })]), 'dpop_invalid_jti');
  });

  it('rejects an ath claim', async () => {
    await assertRejected(await requestWithProofs([await sign({ ath: 'x'.repeat(43) })]), 'dpop_unexpected_ath');
  });

  it('rejects a replayed proof', async () => {
    const proof = await sign();
    const first = await requestWithProofs([proof]);
    const replayed = await requestWithProofs([proof]);

    assert.equal(first.status, 200);
    await assertRejected(replayed, 'dpop_replayed');
    assert.match(replayed.body.error_description, /used before/);
  });

  it('stores only a hash of each proof jti', async () => {
    const jti = `visible-${randomUUID()}`;
    await requestWithProofs([await sign({ jti })]);
    const rows = JSON.stringify(await queryDatabase(server, 'SELECT * FROM dpop_proofs'));

    assert.ok(!rows.includes(jti));
    assert.match(rows, /"jti_hash":"[A-Za-z0-9_-]{43}"/);
  });

  it('requires a proof from a bound account', async () => {
    const bound = await createAccount(server, { name: 'dpop-bound', access: [{ instance: 'jira', scopes: ['READ'] }] });
    await queryDatabase(server, `UPDATE service_accounts SET dpop_bound = 1 WHERE id = '${bound.id}'`);

    const refused = await requestWithProofs([], bound);
    const event = await lastRefusal();
    const issued = await requestWithProofs([await sign()], bound);

    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_dpop_proof');
    assert.match(refused.body.error_description, /only DPoP-bound tokens/);
    assert.equal(event.reason, 'dpop_proof_required');
    assert.equal(event.actor.id, bound.id);
    assert.equal(issued.status, 200);
    assert.equal(issued.body.token_type, 'DPoP');
  });

  it('introspects a bound token with cnf', async () => {
    const bound = (await requestWithProofs([await sign()])).body.access_token;
    const plain = (await requestWithProofs([])).body.access_token;

    const boundResult = await introspect(server, account, bound);
    const plainResult = await introspect(server, account, plain);

    assert.equal(boundResult.body.active, true);
    assert.equal(boundResult.body.token_type, 'DPoP');
    assert.deepEqual(boundResult.body.cnf, { jkt: key.thumbprint });
    assert.equal(plainResult.body.token_type, 'Bearer');
    assert.equal(plainResult.body.cnf, undefined);
  });

  it('binds an opaque token through its stored claims', async () => {
    const created = await server.admin.post('/instances', { slug: 'vault', name: 'Vault', profile: 'generic', audience: 'https://vault.example.com', tokenFormat: 'opaque' });
    assert.equal(created.status, 201);
    const vaultAccount = await createAccount(server, { name: 'dpop-vault', access: [{ instance: 'vault', scopes: ['READ'] }] });

    const issued = await requestWithProofs([await sign()], vaultAccount);
    const result = await introspect(server, vaultAccount, issued.body.access_token);

    assert.equal(issued.body.token_type, 'DPoP');
    assert.match(issued.body.access_token, /^tso_/);
    assert.equal(result.body.token_type, 'DPoP');
    assert.deepEqual(result.body.cnf, { jkt: key.thumbprint });
  });

  it('advertises the proof algorithms', async () => {
    const metadata = await (await fetch(`${server.baseUrl}/.well-known/oauth-authorization-server`)).json();

    assert.deepEqual(metadata.dpop_signing_alg_values_supported, ['ES256', 'EdDSA', 'RS256', 'PS256']);
  });

  it('oauth4webapi obtains a bound token', async () => {
    const issuer = new URL(server.baseUrl);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }));
    const client: oauth.Client = { client_id: account.clientId };
    const keyPair = await generateKeyPair('ES256');
    const DPoP = oauth.DPoP(client, keyPair);

    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(account.clientSecret), {}, { DPoP, [oauth.allowInsecureRequests]: true });
    const token = await oauth.processClientCredentialsResponse(as, client, response);

    assert.equal(token.token_type, 'dpop');
    const introspected = await postForm(`${server.baseUrl}/oauth/introspect`, { token: token.access_token }, { authorization: basicAuth(account.clientId, account.clientSecret) });
    assert.deepEqual(introspected.body.cnf, { jkt: await DPoP.calculateThumbprint() });
  });
});
