import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CreatedAccount, type TestServer, basicAuth, createAccount, ensureInstance, introspect, postForm, queryDatabase, requestToken, startTestServer } from './support/server.js';

describe('opaque access tokens', () => {
  let server: TestServer;
  let account: CreatedAccount;

  before(async () => {
    server = await startTestServer();
    const created = await server.admin.post('/instances', { slug: 'vault', name: 'Vault', profile: 'generic', audience: 'https://vault.example.com', tokenFormat: 'opaque' });
    assert.equal(created.status, 201);
    assert.equal(created.body.tokenFormat, 'opaque');
    account = await createAccount(server, { name: 'opaque-user', access: [{ instance: 'vault', scopes: ['WRITE'], resources: { resource: ['db-1'] } }] });
  });

  after(() => server.close());

  it('issues a reference token', async () => {
    const result = await requestToken(server, account);

    assert.equal(result.status, 200);
    assert.match(result.body.access_token, /^tso_[0-9A-Za-z]{43}$/);
    assert.equal(result.body.expires_in, 3600);
  });

  it('introspects it with its claims', async () => {
    const token = (await requestToken(server, account, { scope: 'READ' })).body.access_token;
    const result = await introspect(server, account, token);

    assert.equal(result.body.active, true);
    assert.equal(result.body.scope, 'READ');
    assert.equal(result.body.aud, 'https://vault.example.com');
    assert.deepEqual(result.body.resources, { resource: ['db-1'] });
  });

  it('stores only a hash of the token', async () => {
    const token = (await requestToken(server, account)).body.access_token;
    const rows = JSON.stringify(await queryDatabase(server, 'SELECT * FROM opaque_tokens'));

    assert.ok(!rows.includes(token));
    assert.ok(rows.includes('"scope\\":\\"WRITE'));
  });

  it('ends with revocation and expiry', async () => {
    const revoked = (await requestToken(server, account)).body.access_token;
    await postForm(`${server.baseUrl}/oauth/revoke`, { token: revoked }, { authorization: basicAuth(account.clientId, account.clientSecret) });
    const expiring = (await requestToken(server, account)).body.access_token;
    server.clock.advance(3601_000);

    assert.deepEqual((await introspect(server, account, revoked)).body, { active: false });
    assert.deepEqual((await introspect(server, account, expiring)).body, { active: false });
  });

  it('looks a token up once and remembers its claims', async () => {
    const token = (await requestToken(server, account)).body.access_token;
    const hotReads = server.tessera.context.hotReads;
    const lookUp = hotReads.opaqueTokenClaims;
    let lookups = 0;
    hotReads.opaqueTokenClaims = (hash) => {
      lookups += 1;
      return lookUp.call(hotReads, hash);
    };
    try {
      assert.equal((await introspect(server, account, token)).body.active, true);
      assert.equal((await introspect(server, account, token)).body.active, true);
    } finally {
      hotReads.opaqueTokenClaims = lookUp;
    }

    assert.equal(lookups, 1);
  });

  it('ends a remembered token at revocation', async () => {
    const token = (await requestToken(server, account)).body.access_token;
    assert.equal((await introspect(server, account, token)).body.active, true);

    await postForm(`${server.baseUrl}/oauth/revoke`, { token }, { authorization: basicAuth(account.clientId, account.clientSecret) });

    assert.deepEqual((await introspect(server, account, token)).body, { active: false });
  });

  it('answers an unknown reference inactive', async () => {
    const result = await introspect(server, account, `tso_${'A'.repeat(43)}`);

    assert.deepEqual(result.body, { active: false });
  });

  it('switches an instance back to JWT', async () => {
    await server.admin.signIn();
    const updated = await server.admin.patch('/instances/vault', { tokenFormat: 'jwt' });
    const token = (await requestToken(server, account)).body.access_token;

    assert.equal(updated.body.tokenFormat, 'jwt');
    assert.match(token, /^eyJ/);
  });
});
