import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type CreatedAccount, type TestServer, basicAuth, createAccount, ensureInstance, postForm, queryDatabase, requestToken, startTestServer } from './support/server.js';

const CLI = fileURLToPath(new URL('../bin/tessera.js', import.meta.url));

function verifyChain(server: TestServer) {
  return spawnSync(process.execPath, [CLI, 'audit', 'verify', '--database-url', server.databaseUrl], {
    encoding: 'utf8',
    env: { ...process.env, TESSERA_DATABASE_URL: '', TESSERA_DATA_DIR: server.directory },
  });
}

describe('audit log', () => {
  let server: TestServer;
  let account: CreatedAccount;
  const secrets: string[] = [];

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
    account = await createAccount(server, { name: 'audited', access: [{ instance: 'jira', scopes: ['READ'] }] });
    secrets.push(account.clientSecret);

    const token = await requestToken(server, account);
    secrets.push(token.body.access_token);
    await requestToken(server, { clientId: account.clientId, clientSecret: 'tss_wrong-secret-value' });
    await requestToken(server, { clientId: 'tsc_unknown', clientSecret: 'tss_other-wrong-secret' });
    await postForm(`${server.baseUrl}/oauth/token`, { grant_type: 'client_credentials', client_id: account.clientSecret, client_secret: account.clientSecret });

    const second = await server.admin.post(`/service-accounts/${account.id}/credentials`, { expiresInDays: 10 });
    secrets.push(second.body.clientSecret);
    const rotated = await server.admin.post(`/service-accounts/${account.id}/credentials/${second.body.id}/rotate`, { gracePeriodSeconds: 60 });
    secrets.push(rotated.body.clientSecret);
    await server.admin.delete(`/service-accounts/${account.id}/credentials/${rotated.body.id}`);
    await server.admin.patch(`/service-accounts/${account.id}`, { description: 'nightly export' });
    await postForm(`${server.baseUrl}/oauth/revoke`, { token: token.body.access_token }, { authorization: basicAuth(account.clientId, account.clientSecret) });
  });

  after(() => server.close());

  async function events(query: string) {
    const result = await server.admin.get(`/audit-events?${query}`);
    assert.equal(result.status, 200);
    return result.body.items as any[];
  }

  it('records an issued token with its credential', async () => {
    const [issued] = await events('action=token.issued');

    assert.equal(issued.actor.type, 'service_account');
    assert.equal(issued.actor.id, account.id);
    assert.equal(issued.actor.credentialId, account.credentialId);
    assert.equal(issued.outcome, 'success');
    assert.equal(issued.source.ip, '127.0.0.1');
    assert.equal(issued.details.scope, 'READ');
    assert.equal(issued.details.authMethod, 'client_secret_basic');
  });

  it('records refused tokens with private reasons', async () => {
    const refused = await events('action=token.refused');
    const reasons = refused.map((event) => event.reason).sort();

    assert.deepEqual(reasons, ['unknown_client', 'unknown_client', 'wrong_secret']);
    const wrongSecret = refused.find((event) => event.reason === 'wrong_secret');
    assert.equal(wrongSecret.actor.id, account.id);
    assert.equal(wrongSecret.outcome, 'failure');
    assert.equal(wrongSecret.details.error, 'invalid_client');
  });

  it('records admin actions with before and after', async () => {
    const [updated] = await events(`action=account.updated&target=${account.id}`);

    assert.equal(updated.actor.type, 'admin');
    assert.equal(updated.details.before.description, '');
    assert.equal(updated.details.after.description, 'nightly export');
  });

  it('records each lifecycle action', async () => {
    const actions = new Set((await events('limit=200')).map((event) => event.action));

    for (const action of ['admin.created', 'admin.sign_in', 'instance.created', 'account.created', 'credential.created', 'credential.rotated', 'credential.revoked', 'account.updated', 'token.issued', 'token.refused', 'token.revoked']) {
      assert.ok(actions.has(action), `missing audit action ${action}`);
    }
  });

  it('filters by actor, time and prefix', async () => {
    const byActor = await events(`actor=${account.id}`);
    const credentialEvents = await events('action=credential.*');
    const future = await events(`from=${encodeURIComponent(new Date(server.clock.now() + 60_000).toISOString())}`);

    assert.ok(byActor.length >= 3);
    assert.ok(byActor.every((event) => event.actor.id === account.id));
    assert.ok(credentialEvents.every((event) => event.action.startsWith('credential.')));
    assert.equal(credentialEvents.length, 4);
    assert.equal(future.length, 0);
  });

  it('pages newest first with a cursor', async () => {
    const all = await events('limit=200');
    const first = await server.admin.get('/audit-events?limit=3');
    const second = await server.admin.get(`/audit-events?limit=3&cursor=${first.body.nextCursor}`);

    assert.deepEqual([...first.body.items, ...second.body.items].map((event: any) => event.id), all.slice(0, 6).map((event) => event.id));
    assert.ok(Number(all[0].id) > Number(all[1].id));
  });

  it('rejects a malformed time filter', async () => {
    const result = await server.admin.get('/audit-events?from=yesterday');

    assert.equal(result.status, 400);
    assert.equal(result.body.code, 'validation_failed');
    assert.equal(result.body.field, 'from');
  });

  it('never stores a secret or token', async () => {
    const rows = JSON.stringify(await queryDatabase(server, 'SELECT * FROM audit_events'));

    for (const secret of secrets) assert.ok(!rows.includes(secret), 'an audit event contains a secret or token');
    assert.ok(!rows.includes('tss_wrong-secret-value'));
    assert.ok(!rows.includes('tss_other-wrong-secret'));
    assert.ok(rows.includes('tss_[redacted]'), 'a secret typed as client id is not masked');
  });
});

describe('audit chain verification', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
    const account = await createAccount(server, { name: 'chain', access: [{ instance: 'jira', scopes: ['READ'] }] });
    await Promise.all(Array.from({ length: 20 }, () => requestToken(server, account)));
    await server.stop();
  });

  after(() => server.close());

  it('passes on an untouched log', () => {
    const result = verifyChain(server);

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Audit chain intact: \d+ events verified/);
  });

  it('names the first altered event', async () => {
    await queryDatabase(server, "UPDATE audit_events SET outcome = 'failure' WHERE seq = 7");

    const result = verifyChain(server);

    assert.equal(result.status, 1);
    assert.match(result.stderr, /Audit chain broken at event 7: event 7 was changed/);
  });

  it('detects a deleted event', async () => {
    await queryDatabase(server, "UPDATE audit_events SET outcome = 'success' WHERE seq = 7");
    await queryDatabase(server, 'DELETE FROM audit_events WHERE seq = 4');

    const result = verifyChain(server);

    assert.equal(result.status, 1);
    assert.match(result.stderr, /event 4 is missing/);
  });
});

describe('audit filters at the edges', () => {
  let server: TestServer;
  let account: CreatedAccount;
  const start = Date.UTC(2026, 5, 1, 12, 0, 0);

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
    account = await createAccount(server, { name: 'edge-account', access: [{ instance: 'jira', scopes: ['READ'] }] });
    await requestToken(server, account);
    await server.admin.patch(`/service-accounts/${account.id}`, { description: 'first change' });
    await requestToken(server, account);
    await server.admin.post(`/service-accounts/${account.id}/credentials`, { expiresInDays: 10 });
    await requestToken(server, account);

    // Written later (higher seq) but stamped earlier, as a node whose clock lags would write it.
    server.clock.set(start + 10 * 60_000);
    await createAccount(server, { name: 'stamped-late' });
    server.clock.set(start);
    await createAccount(server, { name: 'stamped-early' });
  });

  after(() => server.close());

  async function events(query: string) {
    const result = await server.admin.get(`/audit-events?${query}`);
    assert.equal(result.status, 200, result.text);
    return result.body;
  }

  function at(ms: number): string {
    return encodeURIComponent(new Date(ms).toISOString());
  }

  it('time filter finds events out of seq order', async () => {
    const early = await events(`action=account.created&from=${at(start - 1000)}&to=${at(start + 1000)}`);
    const late = await events(`action=account.created&from=${at(start + 9 * 60_000)}&to=${at(start + 11 * 60_000)}`);

    assert.deepEqual(early.items.map((event: any) => event.details.after.name), ['stamped-early']);
    assert.deepEqual(late.items.map((event: any) => event.details.after.name), ['stamped-late']);
  });

  it('time filter with no events is empty', async () => {
    const body = await events(`from=${at(start - 60_000)}&to=${at(start - 30_000)}`);

    assert.deepEqual(body.items, []);
    assert.equal(body.nextCursor, null);
  });

  it('account filter pages actor and target events', async () => {
    const all = (await events('limit=200')).items as any[];
    const credentials = await server.admin.get(`/service-accounts/${account.id}/credentials`);
    const credentialIds = new Set(credentials.body.items.map((credential: any) => credential.id));
    const expected = all
      .filter((event) => event.actor.id === account.id || event.target?.id === account.id || credentialIds.has(event.target?.id))
      .map((event) => event.id);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const body = await events(`account=${account.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...body.items.map((event: any) => event.id));
      cursor = body.nextCursor;
    } while (cursor !== null && seen.length < 100);

    assert.ok(expected.length >= 7, `expected at least 7 events about the account, got ${expected.length}`);
    assert.deepEqual(seen, expected);
  });
});
