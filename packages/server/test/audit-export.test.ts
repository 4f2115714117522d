import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CreatedAccount, type TestServer, createAccount, ensureInstance, requestToken, startTestServer } from './support/server.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('audit export, detail and usage', () => {
  let server: TestServer;
  let account: CreatedAccount;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
    account = await createAccount(server, { name: '=formula, "quoted"', access: [{ instance: 'jira', scopes: ['READ'] }] });
    await requestToken(server, account);
    await requestToken(server, account);
    server.clock.advance(DAY_MS);
    await requestToken(server, account);
    await requestToken(server, { clientId: account.clientId, clientSecret: 'tss_wrong' });
    await server.admin.signIn();
  });

  after(() => server.close());

  it('exports filtered events as JSON Lines', async () => {
    const result = await server.admin.get('/audit-events/export?action=token.issued');
    const lines = result.text.trim().split('\n').map((line) => JSON.parse(line));

    assert.equal(result.status, 200);
    assert.match(result.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    assert.match(result.headers.get('content-disposition') ?? '', /^attachment; filename="tessera-audit-.*\.jsonl"$/);
    assert.equal(lines.length, 3);
    assert.ok(lines.every((event) => event.action === 'token.issued'));
    assert.equal(lines[0].actor.name, '=formula, "quoted"');
  });

  it('exports CSV with quoting and formula guard', async () => {
    const result = await server.admin.get('/audit-events/export?format=csv&action=token.refused');
    const [header, row, ...rest] = result.text.split('\r\n');

    assert.equal(result.status, 200);
    assert.match(result.headers.get('content-type') ?? '', /^text\/csv/);
    assert.equal(header.split(',')[0], 'id');
    assert.ok(row.includes(`"'=formula, ""quoted"""`), row);
    assert.deepEqual(rest, ['']);
  });

  it('exports many events across pages', async () => {
    // Fifty at a time: a few hundred sockets opened at once can be reset on a loaded machine.
    for (let batch = 0; batch < 24; batch++) {
      await Promise.all(Array.from({ length: 50 }, () => requestToken(server, account)));
    }
    const result = await server.admin.get('/audit-events/export?action=token.issued');

    assert.equal(result.text.trim().split('\n').length, 1203);
  });

  it('rejects an unknown export format', async () => {
    const result = await server.admin.get('/audit-events/export?format=xml');

    assert.equal(result.status, 400);
    assert.equal(result.body.field, 'format');
  });

  it('returns one event by id', async () => {
    const list = await server.admin.get('/audit-events?limit=1');
    const detail = await server.admin.get(`/audit-events/${list.body.items[0].id}`);

    assert.equal(detail.status, 200);
    assert.deepEqual(detail.body, list.body.items[0]);
  });

  it('answers an unknown event id with 404', async () => {
    const result = await server.admin.get('/audit-events/999999999');

    assert.equal(result.status, 404);
    assert.equal(result.body.code, 'not_found');
  });

  it('counts token requests per day', async () => {
    const result = await server.admin.get(`/service-accounts/${account.id}/token-usage?days=3`);
    const [beforeYesterday, yesterday, today] = result.body.items;

    assert.equal(result.status, 200);
    assert.equal(result.body.items.length, 3);
    assert.deepEqual(beforeYesterday, { date: new Date(server.clock.now() - 2 * DAY_MS).toISOString().slice(0, 10), issued: 0, refused: 0 });
    assert.equal(yesterday.issued, 2);
    assert.equal(today.issued, 1201);
    assert.equal(today.refused, 1);
  });

  it('rejects more than 90 days', async () => {
    const result = await server.admin.get(`/service-accounts/${account.id}/token-usage?days=91`);

    assert.equal(result.status, 400);
    assert.equal(result.body.field, 'days');
  });
});

describe('audit filter by account', () => {
  it('finds events on the account and its credentials', async (t) => {
    const server = await startTestServer();
    t.after(() => server.close());
    await ensureInstance(server, 'jira');
    const account = await createAccount(server, { name: 'filtered', access: [{ instance: 'jira', scopes: ['READ'] }] });
    const other = await createAccount(server, { name: 'other' });
    await requestToken(server, account);
    await server.admin.delete(`/service-accounts/${account.id}/credentials/${account.credentialId}`);
    await server.admin.delete(`/service-accounts/${other.id}/credentials/${other.credentialId}`);

    const result = await server.admin.get(`/audit-events?account=${account.id}`);
    const actions = result.body.items.map((event: any) => event.action).sort();

    assert.deepEqual(actions, ['account.created', 'credential.created', 'credential.revoked', 'token.issued']);
  });
});
