import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { AUDIT_CHAIN_LOCK } from '../src/audit/postgres-commit.js';
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
