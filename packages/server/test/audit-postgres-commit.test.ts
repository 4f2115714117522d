import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PostgresAuditCommit } from '../src/audit/postgres-commit.js';
import { AUDIT_CHAIN_LOCK } from '../src/storage/advisory-locks.js';
import type { ChainTail } from '../src/audit/row-store.js';
import { GENESIS_HASH } from '../src/audit/chain.js';
import type { AuditEventRow } from '../src/storage/tables.js';
import { type CreatedAccount, type TestServer, TEST_DIALECT, createAccount, ensureInstance, queryDatabase, requestToken, startTestServer } from './support/server.js';

const issuedCount = async (server: TestServer) => Number((await queryDatabase<{ count: string }>(server, "select count(*) as count from audit_events where action = 'token.issued'"))[0].count);

describe('audit group commit on PostgreSQL', { skip: TEST_DIALECT !== 'postgres' && 'runs on PostgreSQL only' }, () => {
  let server: TestServer;
  let account: CreatedAccount;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
    account = await createAccount(server, { name: 'group-commit', access: [{ instance: 'jira', scopes: ['READ'] }] });
  });

  after(() => server.close());

  it('waits for the chain lock', async () => {
    // A second connection holds the lock, as another node appending to the chain would.
    const other = new pg.Client({ connectionString: server.databaseUrl });
    await other.connect();
    try {
      await other.query('begin');
      await other.query(`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
      const before = await issuedCount(server);

      let answered = false;
      const request = requestToken(server, account).then((result) => {
        answered = true;
        return result;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(answered, false);
      assert.equal(await issuedCount(server), before);

      await other.query('commit');
      assert.equal((await request).status, 200);
      assert.equal(await issuedCount(server), before + 1);
    } finally {
      await other.end();
    }
  });

  it('rolls back a failed group and recovers', async () => {
    await queryDatabase(server, "create function tessera_test_fail() returns trigger language plpgsql as $$ begin raise exception 'insert failed by test'; end $$");
    await queryDatabase(server, 'create trigger tessera_test_fail before insert on audit_events for each statement execute function tessera_test_fail()');
    const before = await issuedCount(server);

    const failed = await Promise.all([requestToken(server, account), requestToken(server, account)]);

    await queryDatabase(server, 'drop trigger tessera_test_fail on audit_events');
    for (const result of failed) {
      // A database error that is not an outage is the server's own failure.
      assert.equal(result.status, 500);
      assert.equal(result.body.error, 'server_error');
      assert.equal(result.body.access_token, undefined);
    }
    assert.equal(await issuedCount(server), before);

    const results = await Promise.all(Array.from({ length: 5 }, () => requestToken(server, account)));
    for (const result of results) assert.equal(result.status, 200);
    assert.equal(await issuedCount(server), before + 5);
  });
});

/** Rows that follow `tail`, with made-up hashes: these tests check the links, not the HMAC. */
function rowsAfter(tail: ChainTail | undefined, count: number, label: string): AuditEventRow[] {
  let seq = tail ? Number(tail.seq) : 0;
  let prevHash = tail?.hash ?? GENESIS_HASH;
  return Array.from({ length: count }, () => {
    seq += 1;
    const row: AuditEventRow = {
      seq, occurred_at: Date.now(), actor_type: 'system', actor_id: null, credential_id: null, action: label, target_type: null, target_id: null,
      instance_id: null, source_ip: null, user_agent: null, outcome: 'success', reason: null, details: null, prev_hash: prevHash, hash: `${label}-${seq}`,
    };
    prevHash = row.hash;
    return row;
  });
}

/** Records the statements that pg clients send: a named statement by name, others by text. */
function recordStatements(): { statements: string[]; stop: () => void } {
  const statements: string[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
    const named = config as { name?: string; text?: string };
    statements.push(typeof config === 'string' ? config : (named.name ?? named.text ?? ''));
    return (original as (...args: unknown[]) => unknown).call(this, config, ...rest);
  } as typeof original;
  return { statements, stop: () => (pg.Client.prototype.query = original) };
}

describe('audit commit after a known chain end', { skip: TEST_DIALECT !== 'postgres' && 'runs on PostgreSQL only' }, () => {
  let server: TestServer;
  let pool: pg.Pool;
  let connections = 0;

  before(async () => {
    server = await startTestServer();
    pool = new pg.Pool({ connectionString: server.databaseUrl, max: 4 });
    pool.on('connect', () => {
      connections += 1;
    });
  });

  after(async () => {
    await pool?.end();
    await server?.close();
  });

  const chain = async () => queryDatabase<{ seq: string; prev_hash: string; hash: string }>(server, 'select seq, prev_hash, hash from audit_events order by seq');

  /** Checks that every event links to the one before it and that seq has no gap. */
  async function assertLinked(): Promise<void> {
    const rows = await chain();
    for (let index = 1; index < rows.length; index += 1) {
      assert.equal(Number(rows[index].seq), Number(rows[index - 1].seq) + 1, `seq after ${rows[index - 1].seq}`);
      assert.equal(rows[index].prev_hash, rows[index - 1].hash, `link of seq ${rows[index].seq}`);
    }
  }

  it('commits in one query after the first', async () => {
    const commit = new PostgresAuditCommit(pool);
    await commit.commit((tail) => rowsAfter(tail, 3, 'first'));
    const recording = recordStatements();

    try {
      await commit.commit((tail) => rowsAfter(tail, 2, 'second'));
    } finally {
      recording.stop();
    }

    assert.deepEqual(recording.statements, ['tessera_audit_locked_insert']);
    assert.deepEqual((await chain()).slice(-5).map((row) => row.hash.split('-')[0]), ['first', 'first', 'first', 'second', 'second']);
    await assertLinked();
  });

  it('rereads the end another writer moved', async () => {
    const first = new PostgresAuditCommit(pool);
    const second = new PostgresAuditCommit(pool);
    await first.commit((tail) => rowsAfter(tail, 2, 'one'));
    await second.commit((tail) => rowsAfter(tail, 2, 'two'));
    const connectionsBefore = connections;
    const recording = recordStatements();

    try {
      await first.commit((tail) => rowsAfter(tail, 2, 'three'));
    } finally {
      recording.stop();
    }

    assert.equal(recording.statements[0], 'tessera_audit_locked_insert', 'the insert after the stale end');
    assert.deepEqual(recording.statements.slice(2), ['tessera_audit_insert', 'commit'], 'the commit under the lock');
    assert.match(recording.statements[1], /^begin; select pg_advisory_xact_lock/);
    assert.equal(connections, connectionsBefore, 'the failed insert keeps its connection');
    assert.deepEqual((await chain()).slice(-6).map((row) => row.hash.split('-')[0]), ['one', 'one', 'two', 'two', 'three', 'three']);
    await assertLinked();
  });

  it('rereads an end that pruning freed', async () => {
    const first = new PostgresAuditCommit(pool);
    const second = new PostgresAuditCommit(pool);
    await first.commit((tail) => rowsAfter(tail, 1, 'old'));
    const end = Number((await chain()).at(-1)!.seq);
    await second.commit((tail) => rowsAfter(tail, 3, 'other'));
    // Pruning deletes a prefix of the chain, here up to the second of the other writer's events.
    await queryDatabase(server, `delete from audit_events where seq <= ${end + 2}`);

    await first.commit((tail) => rowsAfter(tail, 1, 'late'));

    const rows = await chain();
    assert.deepEqual(rows.map((row) => Number(row.seq)), [end + 3, end + 4]);
    assert.equal(rows[1].hash, `late-${end + 4}`);
    assert.equal(rows[1].prev_hash, rows[0].hash);
  });

  it('waits for the chain lock', async () => {
    const commit = new PostgresAuditCommit(pool);
    await commit.commit((tail) => rowsAfter(tail, 1, 'before-lock'));
    const other = new pg.Client({ connectionString: server.databaseUrl });
    await other.connect();
    try {
      await other.query('begin');
      await other.query(`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
      const count = (await chain()).length;

      let done = false;
      const committed = commit.commit((tail) => rowsAfter(tail, 1, 'after-lock')).then(() => {
        done = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(done, false);
      assert.equal((await chain()).length, count);

      await other.query('commit');
      await committed;
      assert.equal((await chain()).length, count + 1);
    } finally {
      await other.end();
    }
    await assertLinked();
  });

  it('passes other failures on and recovers', async () => {
    const commit = new PostgresAuditCommit(pool);
    await commit.commit((tail) => rowsAfter(tail, 1, 'ok'));
    await queryDatabase(server, "create function tessera_test_fail_cached() returns trigger language plpgsql as $$ begin raise exception 'insert failed by test'; end $$");
    await queryDatabase(server, 'create trigger tessera_test_fail_cached before insert on audit_events for each statement execute function tessera_test_fail_cached()');
    const count = (await chain()).length;

    await assert.rejects(commit.commit((tail) => rowsAfter(tail, 2, 'failed')), /insert failed by test/);

    await queryDatabase(server, 'drop trigger tessera_test_fail_cached on audit_events');
    assert.equal((await chain()).length, count);
    await commit.commit((tail) => rowsAfter(tail, 2, 'recovered'));
    assert.equal((await chain()).length, count + 2);
    await assertLinked();
  });
});
