import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { sql } from 'kysely';
import pino from 'pino';
import { systemClock } from '../src/clock.js';
import { KeyMaterial } from '../src/crypto/master-key.js';
import { KeyRing } from '../src/oauth/signing-keys.js';
import { type OpenDatabase, openDatabase } from '../src/storage/database.js';
import { migrateToLatest } from '../src/storage/migrations.js';
import { type CreatedAccount, type TestServer, TEST_DIALECT, createAccount, createPostgresDatabase, dropPostgresDatabase, ensureInstance, introspect, queryDatabase, requestToken, startTestServer } from './support/server.js';

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

describe('first signing key on PostgreSQL', { skip: TEST_DIALECT !== 'postgres' && 'several nodes share PostgreSQL only' }, () => {
  let databaseUrl: string;
  let nodes: OpenDatabase[];

  before(async () => {
    databaseUrl = await createPostgresDatabase();
    // Under this default the lock alone would not help, because the lock statement takes the snapshot.
    await queryDatabase({ databaseUrl }, `alter database ${new URL(databaseUrl).pathname.slice(1)} set default_transaction_isolation = 'repeatable read'`);
    nodes = [openDatabase(databaseUrl), openDatabase(databaseUrl), openDatabase(databaseUrl)];
    await migrateToLatest(nodes[0].db);
  });

  after(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await dropPostgresDatabase(databaseUrl);
  });

  it('runs with READ COMMITTED whatever the default', async () => {
    const result = await sql<{ transaction_isolation: string }>`show transaction_isolation`.execute(nodes[0].db);

    assert.equal(result.rows[0].transaction_isolation, 'read committed');
  });

  it('signs at once on a node whose clock is behind', async () => {
    await nodes[0].db.deleteFrom('signing_keys').execute();
    const keyMaterial = new KeyMaterial(Buffer.alloc(32, 7));
    const creator = new KeyRing(nodes[0].db, nodes[0].dialect, keyMaterial, systemClock, pino({ level: 'silent' }));
    const behind = new KeyRing(nodes[1].db, nodes[1].dialect, keyMaterial, { now: () => Date.now() - 60_000 }, pino({ level: 'silent' }));

    await creator.load();
    await behind.load();

    assert.equal(behind.currentKey().kid, creator.currentKey().kid);
  });

  it('keeps the options of the URL', async (t) => {
    const url = new URL(databaseUrl);
    url.searchParams.set('options', '-c search_path=tessera_probe,public');
    const node = openDatabase(url.href);
    t.after(() => node.close());

    const settings = await sql<{ search_path: string; isolation: string }>`select current_setting('search_path') as search_path, current_setting('transaction_isolation') as isolation`.execute(node.db);

    assert.equal(settings.rows[0].search_path, 'tessera_probe,public');
    assert.equal(settings.rows[0].isolation, 'read committed');
  });

  it('is created once by racing nodes', async () => {
    const keyMaterial = new KeyMaterial(Buffer.alloc(32, 7));

    // Each round empties the table again, since one round can miss the race by chance.
    for (let round = 0; round < 5; round++) {
      await nodes[0].db.deleteFrom('signing_keys').execute();
      const rings = nodes.map((node) => new KeyRing(node.db, node.dialect, keyMaterial, systemClock, pino({ level: 'silent' })));

      await Promise.all(rings.map((ring) => ring.load()));

      const stored = await nodes[0].db.selectFrom('signing_keys').select('kid').execute();
      assert.equal(stored.length, 1, `round ${round}`);
      assert.deepEqual(rings.map((ring) => ring.currentKey().kid), rings.map(() => stored[0].kid));
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
