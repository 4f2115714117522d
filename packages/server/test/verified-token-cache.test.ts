import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { type CreatedAccount, type TestServer, createAccount, ensureInstance, introspect, queryDatabase, requestToken, startTestServer } from './support/server.js';

describe('verified token cache', () => {
  let server: TestServer;
  let account: CreatedAccount;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
    account = await createAccount(server, { name: 'introspected', access: [{ instance: 'jira', scopes: ['READ'] }] });
  });

  after(() => server.close());

  const verifiedTokens = () => server.tessera.context.verifiedTokens;

  it('verifies a token once', async () => {
    const token = (await requestToken(server, account)).body.access_token;
    const sizeBefore = verifiedTokens().size;

    assert.equal((await introspect(server, account, token)).body.active, true);
    assert.equal((await introspect(server, account, token)).body.active, true);

    assert.equal(verifiedTokens().size, sizeBefore + 1);
  });

  it('ends a remembered token at its expiry', async () => {
    const response = await requestToken(server, account);
    const token = response.body.access_token;
    assert.equal((await introspect(server, account, token)).body.active, true);

    server.clock.advance(response.body.expires_in * 1000);

    assert.deepEqual((await introspect(server, account, token)).body, { active: false });
  });

  it('ends a remembered token with its key', async () => {
    const token = (await requestToken(server, account)).body.access_token;
    assert.equal((await introspect(server, account, token)).body.active, true);

    // Rotate, then unpublish the old key at once, as after a key compromise.
    assert.equal((await server.admin.post('/signing-keys/rotate', { activateInSeconds: 0 })).status, 201);
    const kid = decodeProtectedHeader(token).kid!;
    await queryDatabase(server, `update signing_keys set retires_at = ${server.clock.now() - 2}, unpublishes_at = ${server.clock.now() - 1} where kid = '${kid}'`);
    await server.tessera.context.keyRing.load();

    assert.deepEqual((await introspect(server, account, token)).body, { active: false });
  });
});
