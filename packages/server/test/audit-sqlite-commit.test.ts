import assert from 'node:assert/strict';
import fs, { fstatSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { after, afterEach, before, describe, it } from 'node:test';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../src/storage/tables.js';
import { WebhookReceiver, waitFor } from './support/sink-receivers.js';
import { type CreatedAccount, type TestServer, TEST_DIALECT, createAccount, ensureInstance, queryDatabase, requestToken, startTestServer } from './support/server.js';

/** Returns the seqs of the JSON Lines audit export, which the test server's admin downloads. */
async function exportedSeqs(server: TestServer): Promise<number[]> {
  const result = await server.admin.get('/audit-events/export?format=jsonl');
  assert.equal(result.status, 200);
  return result.text.trim().split('\n').map((line) => Number(JSON.parse(line).id));
}

const eventCount = async (server: TestServer) => Number((await queryDatabase<{ count: number }>(server, 'select count(*) as count from audit_events'))[0].count);

/** Reads PRAGMA synchronous on the server's own connection or inside its transaction: 2 is FULL, 1 is NORMAL. */
async function synchronousLevel(db: Kysely<Database>): Promise<number> {
  const result = await sql<{ synchronous: number }>`pragma synchronous`.execute(db);
  return result.rows[0].synchronous;
}

describe('audit group commit on SQLite', { skip: TEST_DIALECT !== 'sqlite' && 'runs on SQLite only' }, () => {
  const realFdatasync = fs.fdatasync;
  let server: TestServer;
  let account: CreatedAccount;

  before(async () => {
    server = await startTestServer({ config: { auditSinkPollMs: 50 } });
    await ensureInstance(server, 'jira');
    account = await createAccount(server, { name: 'sqlite-commit', access: [{ instance: 'jira', scopes: ['READ'] }] });
  });

  afterEach(() => {
    fs.fdatasync = realFdatasync;
    syncBuiltinESMExports();
  });

  after(() => server.close());

  /** Writes two events in one turn of the event loop, so that they share one group commit. */
  function writeTwo(alongside?: (trx: Kysely<Database>) => Promise<void>, target = server): Promise<void>[] {
    const { audit } = target.tessera.context;
    return [
      audit.write({ actor: { type: 'system' }, action: 'test.first', outcome: 'success' }, alongside),
      audit.write({ actor: { type: 'system' }, action: 'test.second', outcome: 'success' }),
    ];
  }

  /** Replaces fs.fdatasync with one that records the descriptor and syncs only once `release` is called. */
  function holdSyncs(): { synced: number[]; release: () => void } {
    const synced: number[] = [];
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    fs.fdatasync = ((descriptor: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
      synced.push(descriptor);
      void released.then(() => realFdatasync(descriptor, callback));
    }) as typeof fs.fdatasync;
    syncBuiltinESMExports();
    return { synced, release };
  }

  it('runs a group with NORMAL', async () => {
    const levels: number[] = [];
    const readLevel = async (trx: Kysely<Database>) => {
      levels.push(await synchronousLevel(trx));
    };

    // Two groups, because a statement prepared once would apply the pragma only from its second run.
    for (let group = 0; group < 2; group += 1) {
      await Promise.all(writeTwo(readLevel));
    }

    assert.deepEqual(levels, [1, 1]);
    assert.equal(await synchronousLevel(server.tessera.context.db), 2);
  });

  it('resolves a group after the WAL sync', async () => {
    const { synced, release } = holdSyncs();
    let resolved = 0;

    const writes = writeTwo().map((write) =>
      write.then(() => {
        resolved += 1;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));

    assert.equal(resolved, 0);
    assert.equal(synced.length, 1);
    assert.equal(fstatSync(synced[0]).ino, statSync(`${server.databaseUrl}-wal`).ino, 'the descriptor is the WAL file');
    release();
    await Promise.all(writes);
    assert.equal(resolved, 2);
  });

  it('commits a lone event with FULL', async () => {
    const { synced, release } = holdSyncs();

    const result = await requestToken(server, account);

    release();
    assert.equal(result.status, 200);
    assert.deepEqual(synced, []);
  });

  it('keeps FULL outside group commits', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => requestToken(server, account)));

    for (const result of results) assert.equal(result.status, 200);
    assert.equal(await synchronousLevel(server.tessera.context.db), 2);
  });

  it('fails a group whose sync fails', async (t) => {
    // A server of its own, because after a failed sync the mark stays until a restart.
    const failing = await startTestServer();
    t.after(() => failing.close());
    const head = await eventCount(failing);
    fs.fdatasync = ((_descriptor: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
      callback(Object.assign(new Error('sync failed by test'), { code: 'EIO' }));
    }) as typeof fs.fdatasync;
    syncBuiltinESMExports();

    const results = await Promise.allSettled(writeTwo(undefined, failing));

    for (const result of results) {
      assert.equal(result.status, 'rejected');
      const message = String((result as PromiseRejectedResult).reason);
      assert.match(message, /Syncing the SQLite WAL failed after the audit events committed, so they are in the database but may not survive a crash\./);
      assert.match(message, new RegExp(`hold back the events from seq ${head + 1} on until the server restarts\\. Check the disk .*sync failed by test`));
    }
    assert.equal(await synchronousLevel(failing.tessera.context.db), 2);
    assert.equal(failing.tessera.context.audit.firstUnsyncedSeq, head + 1);

    // A later sync that succeeds does not prove that the failed one's pages reached the disk.
    fs.fdatasync = realFdatasync;
    syncBuiltinESMExports();
    for (const result of await Promise.allSettled(writeTwo(undefined, failing))) assert.equal(result.status, 'fulfilled');
    assert.equal(failing.tessera.context.audit.firstUnsyncedSeq, head + 1);
    assert.equal(Math.max(...(await exportedSeqs(failing))), head);

    await failing.stop();
    const restarted = await startTestServer({ directory: failing.directory });
    t.after(() => restarted.stop());
    assert.equal(restarted.tessera.context.audit.firstUnsyncedSeq, null);
    assert.ok(Math.max(...(await exportedSeqs(restarted))) >= head + 4);
  });

  it('restores the mark after a failed commit', async () => {
    await queryDatabase(server, 'create table test_parent (id integer primary key)');
    await queryDatabase(server, 'create table test_child (parent integer references test_parent (id))');
    const before = await eventCount(server);
    // A deferred foreign key fails at COMMIT, after the group's rows and the mark are in place.
    const orphan = async (trx: Kysely<Database>) => {
      await sql`pragma defer_foreign_keys = on`.execute(trx);
      await sql`insert into test_child (parent) values (42)`.execute(trx);
    };

    const failed = await Promise.allSettled(writeTwo(orphan));

    for (const result of failed) assert.match(String((result as PromiseRejectedResult).reason), /FOREIGN KEY constraint failed/);
    assert.equal(server.tessera.context.audit.firstUnsyncedSeq, null);
    assert.equal(await eventCount(server), before);
    assert.equal(await synchronousLevel(server.tessera.context.db), 2);
  });

  it('restores FULL after a failed insert', async () => {
    await queryDatabase(server, "create trigger tessera_test_fail before insert on audit_events begin select raise(abort, 'insert failed by test'); end");
    const before = await eventCount(server);

    const failed = await Promise.allSettled(writeTwo());

    await queryDatabase(server, 'drop trigger tessera_test_fail');
    for (const result of failed) assert.equal(result.status, 'rejected');
    assert.equal(await eventCount(server), before);
    assert.equal(await synchronousLevel(server.tessera.context.db), 2);
    for (const result of await Promise.allSettled(writeTwo())) assert.equal(result.status, 'fulfilled');
    assert.equal(await eventCount(server), before + 2);
  });

  it('keeps unsynced events from sinks', async (t) => {
    const webhook = new WebhookReceiver();
    await webhook.start();
    t.after(() => webhook.stop());
    const sink = await server.admin.post('/audit-sinks', { name: 'unsynced', type: 'webhook', target: webhook.url, startFrom: 'beginning' });
    assert.equal(sink.status, 201, sink.text);
    const head = await eventCount(server);
    await waitFor('the sink to reach the head', () => webhook.seqs().at(-1) === head);

    const { release } = holdSyncs();
    const writes = writeTwo();
    let deliveredBeforeSync: number | undefined;
    try {
      await waitFor('the group to commit', async () => (await eventCount(server)) === head + 2);
      // Many polls of 50 ms, any of which would send the committed events.
      await new Promise((resolve) => setTimeout(resolve, 500));
      deliveredBeforeSync = webhook.seqs().at(-1);
    } finally {
      // Released in any case, because the server's close waits for the held group.
      release();
      await Promise.all(writes);
    }

    assert.equal(deliveredBeforeSync, head);
    await waitFor('the sink to get the synced events', () => webhook.seqs().at(-1) === head + 2);
  });

  it('leaves unsynced events out of exports', async () => {
    const head = await eventCount(server);

    const { release } = holdSyncs();
    const writes = writeTwo();
    let exportedBeforeSync: number[] = [];
    try {
      await waitFor('the group to commit', async () => (await eventCount(server)) === head + 2);
      exportedBeforeSync = await exportedSeqs(server);
    } finally {
      release();
      await Promise.all(writes);
    }

    assert.equal(Math.max(...exportedBeforeSync), head);
    assert.ok((await exportedSeqs(server)).includes(head + 2));
  });
});
