import assert from 'node:assert/strict';
import fs, { fstatSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { after, afterEach, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { type CreatedAccount, type TestServer, TEST_DIALECT, createAccount, ensureInstance, queryDatabase, requestToken, startTestServer } from './support/server.js';

const issuedCount = async (server: TestServer) => Number((await queryDatabase<{ count: number }>(server, "select count(*) as count from audit_events where action = 'token.issued'"))[0].count);

/** Reads PRAGMA synchronous on the server's own connection: 2 is FULL, 1 is NORMAL. */
async function synchronousLevel(server: TestServer): Promise<number> {
  const result = await sql<{ synchronous: number }>`pragma synchronous`.execute(server.tessera.context.db);
  return result.rows[0].synchronous;
}

describe('audit group commit on SQLite', { skip: TEST_DIALECT !== 'sqlite' && 'runs on SQLite only' }, () => {
  const realFdatasync = fs.fdatasync;
  let server: TestServer;
  let account: CreatedAccount;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
    account = await createAccount(server, { name: 'sqlite-commit', access: [{ instance: 'jira', scopes: ['READ'] }] });
  });

  afterEach(() => {
    fs.fdatasync = realFdatasync;
    syncBuiltinESMExports();
  });

  after(() => server.close());

  it('answers after the WAL sync', async () => {
    // The sync is held back, so that the test can see the response wait for it.
    const synced: number[] = [];
    let release: () => void = () => {};
    const syncHeld = new Promise<void>((resolve) => {
      release = resolve;
    });
    fs.fdatasync = ((descriptor: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
      synced.push(descriptor);
      void syncHeld.then(() => realFdatasync(descriptor, callback));
    }) as typeof fs.fdatasync;
    syncBuiltinESMExports();
    const before = await issuedCount(server);

    let answered = false;
    const request = requestToken(server, account).then((result) => {
      answered = true;
      return result;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));

    assert.equal(answered, false);
    assert.equal(synced.length, 1);
    assert.equal(fstatSync(synced[0]).ino, statSync(`${server.databaseUrl}-wal`).ino, 'the descriptor is the WAL file');
    release();
    assert.equal((await request).status, 200);
    assert.equal(await issuedCount(server), before + 1);
  });

  it('keeps FULL outside group commits', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => requestToken(server, account)));

    for (const result of results) assert.equal(result.status, 200);
    assert.equal(await synchronousLevel(server), 2);
  });

  it('fails a group whose sync fails', async () => {
    fs.fdatasync = ((_descriptor: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
      callback(Object.assign(new Error('sync failed by test'), { code: 'EIO' }));
    }) as typeof fs.fdatasync;
    syncBuiltinESMExports();

    const result = await requestToken(server, account);

    assert.equal(result.status, 500);
    assert.equal(result.body.error, 'server_error');
    assert.equal(result.body.access_token, undefined);
    assert.equal(await synchronousLevel(server), 2);
  });

  it('restores FULL after a failed insert', async () => {
    await queryDatabase(server, "create trigger tessera_test_fail before insert on audit_events begin select raise(abort, 'insert failed by test'); end");
    const before = await issuedCount(server);

    const failed = await requestToken(server, account);

    await queryDatabase(server, 'drop trigger tessera_test_fail');
    assert.equal(failed.status, 500);
    assert.equal(await issuedCount(server), before);
    assert.equal(await synchronousLevel(server), 2);
    assert.equal((await requestToken(server, account)).status, 200);
    assert.equal(await issuedCount(server), before + 1);
  });
});
