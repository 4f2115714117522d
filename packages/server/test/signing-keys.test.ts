import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { type CreatedAccount, type TestServer, createAccount, ensureInstance, introspect, queryDatabase, requestToken, startTestServer } from './support/server.js';

async function jwks(server: TestServer) {
  return (await fetch(`${server.baseUrl}/oauth/jwks`)).json();
}

describe('signing key rotation', () => {
  let server: TestServer;
  let account: CreatedAccount;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
    account = await createAccount(server, { name: 'keys', access: [{ instance: 'jira', scopes: ['READ'] }] });
  });

  after(() => server.close());

  it('publishes the new key before signing with it', async () => {
    const before = await requestToken(server, account);
    const oldKid = decodeProtectedHeader(before.body.access_token).kid;

    const rotated = await server.admin.post('/signing-keys/rotate', { activateInSeconds: 600 });
    assert.equal(rotated.status, 201);
    assert.equal(rotated.body.state, 'published');
    const newKid = rotated.body.kid;

    const published = await jwks(server);
    assert.deepEqual(published.keys.map((key: any) => key.kid).sort(), [oldKid, newKid].sort());

    const during = await requestToken(server, account);
    assert.equal(decodeProtectedHeader(during.body.access_token).kid, oldKid);

    server.clock.advance(601_000);
    const afterActivation = await requestToken(server, account);
    assert.equal(decodeProtectedHeader(afterActivation.body.access_token).kid, newKid);

    // Tokens signed by the retired key stay valid and verifiable while they live.
    assert.equal((await introspect(server, account, during.body.access_token)).body.active, true);
    const keySet = createLocalJWKSet(await jwks(server));
    await jwtVerify(during.body.access_token, keySet, { currentDate: new Date(server.clock.now()) });
  });

  it('unpublishes the retired key after a day', async () => {
    server.clock.advance(24 * 60 * 60 * 1000 + 1000);
    await server.admin.signIn();

    const published = await jwks(server);
    const keys = await server.admin.get('/signing-keys');

    assert.equal(published.keys.length, 1);
    assert.equal(keys.body.items.length, 1);
    assert.equal(keys.body.items[0].state, 'signing');
  });

  it('stores private keys encrypted', async () => {
    const rows = await queryDatabase<{ private_key: string; public_jwk: string }>(server, 'SELECT private_key, public_jwk FROM signing_keys');

    for (const row of rows) {
      assert.ok(!row.private_key.includes('BEGIN'), 'private key stored as PEM');
      assert.equal(JSON.parse(row.public_jwk).d, undefined);
    }
  });
});

describe('master key', () => {
  it('creates an owner-only key file', async (t) => {
    const server = await startTestServer();
    t.after(() => server.close());
    const path = join(server.directory, 'master.key');

    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64').length, 32);
  });

  it('refuses a key file others can read', async (t) => {
    const server = await startTestServer();
    t.after(() => server.close());
    await server.stop();
    chmodSync(join(server.directory, 'master.key'), 0o644);

    await assert.rejects(startTestServer({ directory: server.directory }), /readable by other users.*chmod 600/);
  });

  it('refuses a different master key', async (t) => {
    const server = await startTestServer({ config: { masterKey: Buffer.alloc(32, 1).toString('base64') } });
    t.after(() => server.close());
    await server.stop();

    await assert.rejects(startTestServer({ directory: server.directory, config: { masterKey: Buffer.alloc(32, 2).toString('base64') } }), /master key differs/);
  });

  it('rejects a master key of the wrong size', async () => {
    await assert.rejects(startTestServer({ config: { masterKey: 'c2hvcnQ=' } }), /TESSERA_MASTER_KEY must hold 32 random bytes/);
  });

  it('keeps tokens valid across a restart', async (t) => {
    const first = await startTestServer();
    t.after(() => first.close());
    await ensureInstance(first, 'jira');
    const account = await createAccount(first, { name: 'restart', access: [{ instance: 'jira', scopes: ['READ'] }] });
    const token = (await requestToken(first, account)).body.access_token;
    await first.stop();

    // The same port keeps the same issuer, as a real restart would.
    const second = await startTestServer({ directory: first.directory, clock: first.clock, config: { port: Number(new URL(first.baseUrl).port) } });
    t.after(() => second.stop());
    assert.equal((await introspect(second, account, token)).body.active, true);
    assert.equal((await requestToken(second, account)).status, 200);
  });
});
