import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestServer, createAccount, ensureInstance, requestToken, startTestServer } from './support/server.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('account list filters and sorting', () => {
  let server: TestServer;
  const ids: Record<string, string> = {};

  before(async () => {
    server = await startTestServer({ config: { lastUsedFlushIntervalMs: 3_600_000 } });
    await ensureInstance(server, 'jira');

    const old = await createAccount(server, { name: 'charlie-old', owner: 'ops', access: [{ instance: 'jira', scopes: ['READ'] }], credential: { expiresInDays: 365 } });
    ids.charlie = old.id;
    server.clock.advance(100 * DAY_MS);
    await server.admin.signIn();

    const used = await createAccount(server, { name: 'alpha-used', owner: 'ops', access: [{ instance: 'jira', scopes: ['READ'] }], credential: { expiresInDays: 20 } });
    ids.alpha = used.id;
    server.clock.advance(1000);
    const fresh = await createAccount(server, { name: 'bravo-fresh', owner: 'web', credential: { expiresInDays: 90 } });
    ids.bravo = fresh.id;

    server.clock.advance(1000);
    await requestToken(server, used);
    await server.tessera.context.lastUsed.flush();
  });

  after(() => server.close());

  async function names(query: string): Promise<string[]> {
    const result = await server.admin.get(`/service-accounts?${query}`);
    assert.equal(result.status, 200, result.text);
    return result.body.items.map((item: any) => item.name);
  }

  it('filters by owner', async () => {
    assert.deepEqual(await names('owner=ops'), ['alpha-used', 'charlie-old']);
  });

  it('filters accounts unused for 90 days', async () => {
    assert.deepEqual(await names('unusedForDays=90'), ['charlie-old']);
  });

  it('filters accounts expiring within 30 days', async () => {
    assert.deepEqual(await names('expiringWithinDays=30'), ['alpha-used']);
  });

  it('sorts by name descending', async () => {
    assert.deepEqual(await names('sort=-name'), ['charlie-old', 'bravo-fresh', 'alpha-used']);
  });

  it('sorts by creation time', async () => {
    assert.deepEqual(await names('sort=createdAt'), ['charlie-old', 'alpha-used', 'bravo-fresh']);
  });

  it('sorts by last use, newest first', async () => {
    const sorted = await names('sort=-lastUsedAt');

    assert.equal(sorted[0], 'alpha-used');
  });

  it('pages a sorted list with a cursor', async () => {
    const first = await server.admin.get('/service-accounts?sort=-createdAt&limit=2');
    const second = await server.admin.get(`/service-accounts?sort=-createdAt&limit=2&cursor=${first.body.nextCursor}`);

    assert.deepEqual(first.body.items.map((item: any) => item.name), ['bravo-fresh', 'alpha-used']);
    assert.deepEqual(second.body.items.map((item: any) => item.name), ['charlie-old']);
    assert.equal(second.body.nextCursor, null);
    assert.equal(first.body.total, 3);
  });

  it('counts matches across pages', async () => {
    const result = await server.admin.get('/service-accounts?owner=ops&limit=1');

    assert.equal(result.body.items.length, 1);
    assert.equal(result.body.total, 2);
  });

  it('counts matches on a later page', async () => {
    const first = await server.admin.get('/service-accounts?owner=ops&limit=1');
    const second = await server.admin.get(`/service-accounts?owner=ops&limit=1&cursor=${first.body.nextCursor}`);

    assert.equal(second.body.items.length, 1);
    assert.equal(second.body.nextCursor, null);
    assert.equal(second.body.total, 2);
  });

  it('counts a page with every match', async () => {
    const exact = await server.admin.get('/service-accounts?owner=ops&limit=2');
    const none = await server.admin.get('/service-accounts?owner=nobody');

    assert.equal(exact.body.items.length, 2);
    assert.equal(exact.body.nextCursor, null);
    assert.equal(exact.body.total, 2);
    assert.deepEqual(none.body.items, []);
    assert.equal(none.body.total, 0);
  });

  it('rejects a cursor from another sort', async () => {
    const first = await server.admin.get('/service-accounts?sort=name&limit=1');
    const result = await server.admin.get(`/service-accounts?sort=-name&cursor=${first.body.nextCursor}`);

    assert.equal(result.status, 400);
    assert.equal(result.body.code, 'invalid_cursor');
  });

  it('rejects an unknown sort', async () => {
    const result = await server.admin.get('/service-accounts?sort=owner');

    assert.equal(result.status, 400);
    assert.equal(result.body.field, 'sort');
    assert.match(result.body.detail, /sort must be one of: name, -name, createdAt/);
  });

  it('rejects zero days', async () => {
    const result = await server.admin.get('/service-accounts?unusedForDays=0');

    assert.equal(result.status, 400);
    assert.equal(result.body.field, 'unusedForDays');
  });

  it('lists profiles with implications', async () => {
    const result = await server.admin.get('/profiles');
    const jira = result.body.items.find((profile: any) => profile.name === 'jira');
    const write = jira.scopes.find((scope: any) => scope.name === 'WRITE');
    const admin = jira.scopes.find((scope: any) => scope.name === 'ADMIN');

    assert.equal(result.status, 200);
    assert.deepEqual(jira.resourceTypes, ['project']);
    assert.deepEqual(write.implies, ['READ', 'write:issue', 'write:comment']);
    assert.ok(write.impliesAll.includes('read:issue'));
    assert.equal(admin.adminLevel, true);
  });
});
