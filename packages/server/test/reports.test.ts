import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem } from './support/problem.js';
import { AdminClient, type TestServer, createAccount, ensureInstance, requestToken, startTestServer } from './support/server.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('reports', () => {
  let server: TestServer;
  const ids: Record<string, string> = {};
  let now: number;

  before(async () => {
    server = await startTestServer({ config: { notificationIntervalMs: 3_600_000, lastUsedFlushIntervalMs: 3_600_000 } });
    await ensureInstance(server, 'jira');

    const old = await createAccount(server, { name: 'old-never-used', credential: { expiresInDays: 365 } });
    ids.old = old.id;
    const stale = await createAccount(server, { name: 'stale', access: [{ instance: 'jira', scopes: ['READ'] }], credential: { expiresInDays: 365 } });
    ids.stale = stale.id;
    assert.equal((await requestToken(server, stale)).status, 200);
    server.clock.advance(100 * DAY_MS);
    await server.admin.signIn();

    const soon = await createAccount(server, { name: 'expires-soon', access: [{ instance: 'jira', scopes: ['READ'] }], credential: { expiresInDays: 5 } });
    ids.soon = soon.id;
    ids.soonCredential = soon.credentialId;
    assert.equal((await requestToken(server, soon)).status, 200);
    const later = await createAccount(server, { name: 'expires-later', credential: { expiresInDays: 20 } });
    ids.later = later.id;
    ids.laterCredential = later.credentialId;
    await createAccount(server, { name: 'expires-far', credential: { expiresInDays: 60 } });
    now = server.clock.now();
  });

  after(() => server.close());

  it('lists credentials expiring within 30 days', async () => {
    const result = await server.admin.get('/reports/expiring-credentials?withinDays=30');

    assert.equal(result.status, 200, result.text);
    assert.deepEqual(result.body, {
      items: [
        {
          credentialId: ids.soonCredential,
          accountId: ids.soon,
          accountName: 'expires-soon',
          accountStatus: 'active',
          owner: '',
          createdAt: new Date(now).toISOString(),
          expiresAt: new Date(now + 5 * DAY_MS).toISOString(),
          daysLeft: 5,
          lastUsedAt: new Date(now).toISOString(),
        },
        {
          credentialId: ids.laterCredential,
          accountId: ids.later,
          accountName: 'expires-later',
          accountStatus: 'active',
          owner: '',
          createdAt: new Date(now).toISOString(),
          expiresAt: new Date(now + 20 * DAY_MS).toISOString(),
          daysLeft: 20,
          lastUsedAt: null,
        },
      ],
      nextCursor: null,
    });
  });

  it('pages expiring credentials by cursor', async () => {
    const first = await server.admin.get('/reports/expiring-credentials?withinDays=90&limit=2');
    const second = await server.admin.get(`/reports/expiring-credentials?withinDays=90&limit=2&cursor=${first.body.nextCursor}`);

    assert.deepEqual(first.body.items.map((item: any) => item.accountName), ['expires-soon', 'expires-later']);
    assert.deepEqual(second.body.items.map((item: any) => item.accountName), ['expires-far']);
    assert.equal(second.body.nextCursor, null);
  });

  it('lists accounts unused for 90 days', async () => {
    const result = await server.admin.get('/reports/unused-accounts?days=90');

    assert.equal(result.status, 200, result.text);
    assert.deepEqual(
      result.body.items.map((item: any) => [item.name, item.unusedDays, item.lastUsedAt === null, item.dormantSince]),
      [
        ['old-never-used', 100, true, null],
        ['stale', 100, false, null],
      ],
    );
    assert.equal(result.body.nextCursor, null);
  });

  it('omits accounts used within the period', async () => {
    const result = await server.admin.get('/reports/unused-accounts?days=120');

    assert.deepEqual(result.body.items, []);
  });

  it('rejects bad report parameters', async () => {
    assertProblem(await server.admin.get('/reports/expiring-credentials?withinDays=0'), 400, 'validation_failed', 'withinDays');
    assertProblem(await server.admin.get('/reports/expiring-credentials?withinDays=9999'), 400, 'validation_failed', 'withinDays');
    assertProblem(await server.admin.get('/reports/expiring-credentials?withinDays=soon'), 400, 'validation_failed', 'withinDays');
    assertProblem(await server.admin.get('/reports/expiring-credentials?within=30'), 400, 'validation_failed', 'within');
    assertProblem(await server.admin.get('/reports/expiring-credentials?cursor=bogus'), 400, 'invalid_cursor', 'cursor');
    assertProblem(await server.admin.get('/reports/unused-accounts?days=0'), 400, 'validation_failed', 'days');
    assertProblem(await server.admin.get('/reports/unused-accounts?days=-5'), 400, 'validation_failed', 'days');
    assertProblem(await server.admin.get('/reports/unused-accounts?status=gone'), 400, 'validation_failed', 'status');
    assertProblem(await server.admin.get('/reports/unused-accounts?limit=500'), 400, 'validation_failed', 'limit');
  });

  it('rejects bad delivery parameters', async () => {
    assertProblem(await server.admin.get('/notifications/deliveries?status=sent'), 400, 'validation_failed', 'status');
    assertProblem(await server.admin.get('/notifications/deliveries?cursor=bogus'), 400, 'invalid_cursor', 'cursor');
    assertProblem(await server.admin.get('/notifications/deliveries?limit=0'), 400, 'validation_failed', 'limit');
    assertProblem(await server.admin.get('/notifications/deliveries?account=x'), 400, 'validation_failed', 'account');
    assertProblem(await server.admin.get('/service-accounts/no-such-account/notifications'), 404, 'not_found');
    assertProblem(await server.admin.get('/notifications/signing-secret?show=1'), 400, 'validation_failed', 'show');
    assertProblem(await server.admin.post(`/notifications/deliveries/x/retry`, { now: true }), 400, 'validation_failed', 'now');
  });

  it('lists deliveries of an account', async () => {
    const result = await server.admin.get(`/service-accounts/${ids.soon}/notifications`);

    assert.equal(result.status, 200, result.text);
    assert.deepEqual(result.body, { items: [], nextCursor: null });
  });

  it('limits auditors to reading', async () => {
    const created = await server.admin.post('/admins', { username: 'auditor', password: 'auditor-password-1', role: 'auditor' });
    assert.equal(created.status, 201, created.text);
    const auditor = new AdminClient(server.baseUrl);
    assert.equal((await auditor.signIn('auditor', 'auditor-password-1')).status, 200);

    assert.equal((await auditor.get('/reports/unused-accounts')).status, 200);
    assert.equal((await auditor.get('/notifications/deliveries')).status, 200);
    assertProblem(await auditor.get('/notifications/signing-secret'), 403, 'forbidden');
    assertProblem(await auditor.post('/notifications/deliveries/any-id/retry'), 403, 'forbidden');
  });

  it('requires sign-in for reports', async () => {
    const response = await fetch(`${server.baseUrl}/api/v1/reports/unused-accounts`);

    assert.equal(response.status, 401);
  });
});
