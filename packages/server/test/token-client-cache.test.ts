import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TOKEN_CLIENT_TABLES, UNTRACKED_COLUMNS } from '../src/storage/cache-generations.js';
import { TokenClientCache } from '../src/storage/token-clients.js';
import { type CreatedAccount, type TestServer, TEST_DIALECT, createAccount, ensureInstance, introspect, queryDatabase, requestToken, startTestServer } from './support/server.js';

describe('token client cache', () => {
  let server: TestServer;
  let account: CreatedAccount;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
    account = await createAccount(server, { name: 'cached-client', access: [{ instance: 'jira', scopes: ['READ', 'WRITE'] }] });
  });

  after(() => server.close());

  const cache = () => server.tessera.context.tokenClients;

  it('serves a second request from memory', async () => {
    assert.equal((await requestToken(server, account)).status, 200);
    const hitsBefore = cache().stats.hits;

    assert.equal((await requestToken(server, account)).status, 200);

    assert.equal(cache().stats.hits, hitsBefore + 1);
  });

  it('sees a revocation written by another connection', async () => {
    const other = await createAccount(server, { name: 'revoked-elsewhere', access: [{ instance: 'jira', scopes: ['READ'] }] });
    assert.equal((await requestToken(server, other)).status, 200);

    // A second connection, as a command line tool or another node would write.
    await queryDatabase(server, `update credentials set revoked_at = 1 where account_id = '${other.id}'`);

    const result = await requestToken(server, other);
    assert.equal(result.status, 401);
    assert.equal(result.body.error, 'invalid_client');
  });

  it('reads the counter once per introspection and sees a change written elsewhere', async () => {
    const caller = await createAccount(server, { name: 'introspecting-caller', access: [{ instance: 'jira', scopes: ['READ'] }] });
    const subject = await createAccount(server, { name: 'introspected-subject', access: [{ instance: 'jira', scopes: ['READ'] }] });
    const token = (await requestToken(server, subject)).body.access_token;
    const hotReads = server.tessera.context.hotReads;
    const readCounter = hotReads.tokenClientsGeneration;
    let reads = 0;
    hotReads.tokenClientsGeneration = () => {
      reads += 1;
      return readCounter.call(hotReads);
    };
    try {
      assert.equal((await introspect(server, caller, token)).body.active, true);
      assert.equal(reads, 1);

      // A second connection disables the token's account, as another node would.
      await queryDatabase(server, `update service_accounts set status = 'disabled' where id = '${subject.id}'`);

      assert.deepEqual((await introspect(server, caller, token)).body, { active: false });
      assert.equal(reads, 2);
    } finally {
      hotReads.tokenClientsGeneration = readCounter;
    }
  });

  it('sees a grant change from the admin API', async () => {
    assert.equal((await requestToken(server, account, { scope: 'WRITE' })).body.scope, 'WRITE');

    const update = await server.admin.request('PATCH', `/service-accounts/${account.id}`, { access: [{ instance: 'jira', scopes: ['READ'] }] });
    assert.equal(update.status, 200);

    const result = await requestToken(server, account, { scope: 'WRITE' });
    assert.equal(result.status, 400);
    assert.equal(result.body.error, 'invalid_scope');
  });

  it('sees a disabled account at once', async () => {
    const disabled = await createAccount(server, { name: 'disabled-later', access: [{ instance: 'jira', scopes: ['READ'] }] });
    assert.equal((await requestToken(server, disabled)).status, 200);

    assert.equal((await server.admin.request('PATCH', `/service-accounts/${disabled.id}`, { status: 'disabled' })).status, 200);

    assert.equal((await requestToken(server, disabled)).status, 401);
  });

  it('keeps entries across a last-used flush', async () => {
    assert.equal((await requestToken(server, account)).status, 200);
    const invalidationsBefore = cache().stats.invalidations;

    await server.tessera.context.lastUsed.flush();
    const rows = await queryDatabase<{ last_used_at: number | null }>(server, `select last_used_at from service_accounts where id = '${account.id}'`);
    assert.notEqual(rows[0].last_used_at, null);
    assert.equal((await requestToken(server, account)).status, 200);

    assert.equal(cache().stats.invalidations, invalidationsBefore);
  });

  it('keeps no entry for an unknown client id', async () => {
    const entriesBefore = cache().size;

    const result = await requestToken(server, { clientId: 'tsc_unknownclient', clientSecret: account.clientSecret });

    assert.equal(result.status, 401);
    assert.equal(cache().size, entriesBefore);
  });

  it('holds at most its maximum of entries', async () => {
    const small = new TokenClientCache(server.tessera.context.db, cache().readGeneration, 1);
    const second = await createAccount(server, { name: 'second-cached', access: [{ instance: 'jira', scopes: ['READ'] }] });

    await small.client(account.clientId);
    await small.client(second.clientId);
    await small.client(second.clientId);

    assert.equal(small.size, 1);
    assert.equal(small.stats.hits, 1);
  });

  it('has triggers on every column but the last-used ones', async () => {
    for (const table of TOKEN_CLIENT_TABLES) {
      const columns = await tableColumns(server, table);
      const expected = columns.filter((column) => !UNTRACKED_COLUMNS.includes(column)).sort();

      assert.deepEqual(await triggeredColumns(server, table), expected, `update trigger columns of ${table}`);
    }
  });
});

async function tableColumns(server: TestServer, table: string): Promise<string[]> {
  if (TEST_DIALECT === 'postgres') {
    const rows = await queryDatabase<{ column_name: string }>(server, `select column_name from information_schema.columns where table_schema = current_schema() and table_name = '${table}'`);
    return rows.map((row) => row.column_name);
  }
  const rows = await queryDatabase<{ name: string }>(server, `select name from pragma_table_info('${table}')`);
  return rows.map((row) => row.name);
}

/** Columns named in the table's UPDATE OF trigger, read back from the database's catalogue. */
async function triggeredColumns(server: TestServer, table: string): Promise<string[]> {
  if (TEST_DIALECT === 'postgres') {
    const rows = await queryDatabase<{ event_object_column: string }>(
      server,
      `select event_object_column from information_schema.triggered_update_columns where event_object_table = '${table}' and trigger_name = '${table}_update_bumps_token_clients'`,
    );
    return rows.map((row) => row.event_object_column).sort();
  }
  const rows = await queryDatabase<{ sql: string }>(server, `select sql from sqlite_master where type = 'trigger' and name = '${table}_update_bumps_token_clients'`);
  const list = /update of (.*) on /i.exec(rows[0]?.sql ?? '')?.[1] ?? '';
  return [...list.matchAll(/"([^"]+)"/g)].map((match) => match[1]).sort();
}
