import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem } from './support/problem.js';
import { type CreatedAccount, type TestServer, createAccount, ensureInstance, introspect, queryDatabase, requestToken, startTestServer } from './support/server.js';

describe('account desired state (PUT)', () => {
  let server: TestServer;
  let resourceServer: CreatedAccount;
  let counter = 0;
  const name = () => `desired-${++counter}`;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
    resourceServer = await createAccount(server, { name: 'desired-resource-server', access: [{ instance: 'jira', scopes: ['READ'] }] });
  });

  after(() => server.close());

  async function auditCount(): Promise<number> {
    const rows = await queryDatabase<{ n: number | string }>(server, 'select count(*) as n from audit_events');
    return Number(rows[0].n);
  }

  function desired(accountName: string, extra: Record<string, unknown> = {}) {
    return {
      name: accountName,
      description: 'Nightly export',
      owner: 'data-team',
      access: [{ instance: 'jira', scopes: ['WRITE', 'READ'], resources: { project: ['ABC', 'DEF'] } }],
      purpose: 'exports issues',
      contacts: [{ type: 'email', address: 'data@example.com' }],
      reviewDate: '2027-06-30',
      ipAllowlist: ['10.0.0.0/8'],
      rateLimit: { perMinute: 60 },
      ...extra,
    };
  }

  it('unchanged state writes nothing', async () => {
    const accountName = name();
    const account = await createAccount(server, desired(accountName));
    const before = await server.admin.get(`/service-accounts/${account.id}`);

    const eventsBefore = await auditCount();
    // Same grants in another order count as the same state.
    const result = await server.admin.put(`/service-accounts/${account.id}`, desired(accountName, { access: [{ instance: 'jira', scopes: ['READ', 'WRITE'], resources: { project: ['DEF', 'ABC'] } }] }));

    assert.equal(result.status, 200, result.text);
    assert.deepEqual(result.body.changes, []);
    assert.equal(result.body.updatedAt, before.body.updatedAt);
    assert.equal(await auditCount(), eventsBefore);
  });

  it('changed state is written and audited', async () => {
    const accountName = name();
    const account = await createAccount(server, desired(accountName));

    const result = await server.admin.put(`/service-accounts/${account.id}`, desired(accountName, { description: 'Hourly export', owner: 'ops' }));

    assert.equal(result.status, 200, result.text);
    assert.deepEqual(result.body.changes, ['description', 'owner']);
    assert.equal(result.body.description, 'Hourly export');
    const events = await server.admin.get(`/audit-events?action=account.updated&limit=1`);
    assert.equal(events.body.items[0].target.id, account.id);
    assert.equal(events.body.items[0].details.after.owner, 'ops');
  });

  it('missing fields reset to defaults', async () => {
    const accountName = name();
    const account = await createAccount(server, { ...desired(accountName), dpopBound: false });

    const result = await server.admin.put(`/service-accounts/${account.id}`, { name: accountName });

    assert.equal(result.status, 200, result.text);
    assert.deepEqual(result.body.changes.sort(), ['access', 'contacts', 'description', 'ipAllowlist', 'owner', 'purpose', 'rateLimit', 'reviewDate'].sort());
    assert.equal(result.body.description, '');
    assert.equal(result.body.owner, '');
    assert.deepEqual(result.body.access, []);
    assert.deepEqual(result.body.contacts, []);
    assert.equal(result.body.reviewDate, null);
    assert.equal(result.body.ipAllowlist, null);
    assert.equal(result.body.rateLimit, null);
    assert.equal(result.body.status, 'active');
  });

  it('narrowing ends issued tokens', async () => {
    const accountName = name();
    const account = await createAccount(server, { name: accountName, access: [{ instance: 'jira', scopes: ['WRITE'], resources: { project: '*' } }] });
    const issued = await requestToken(server, account);
    assert.equal(issued.status, 200, issued.text);

    const result = await server.admin.put(`/service-accounts/${account.id}`, { name: accountName, access: [{ instance: 'jira', scopes: ['READ'], resources: { project: '*' } }] });

    assert.equal(result.status, 200, result.text);
    assert.deepEqual(result.body.changes, ['access']);
    const check = await introspect(server, resourceServer, issued.body.access_token);
    assert.deepEqual(check.body, { active: false });
  });

  it('disabling through status ends issued tokens', async () => {
    const accountName = name();
    const account = await createAccount(server, { name: accountName, access: [{ instance: 'jira', scopes: ['READ'] }] });
    const issued = await requestToken(server, account);

    const result = await server.admin.put(`/service-accounts/${account.id}`, { name: accountName, status: 'disabled', access: [{ instance: 'jira', scopes: ['READ'] }] });

    assert.equal(result.status, 200, result.text);
    assert.deepEqual(result.body.changes, ['status']);
    assert.deepEqual((await introspect(server, resourceServer, issued.body.access_token)).body, { active: false });
    const events = await server.admin.get(`/audit-events?action=account.disabled&limit=1`);
    assert.equal(events.body.items[0].target.id, account.id);
  });

  it('dry run changes nothing', async () => {
    const accountName = name();
    const account = await createAccount(server, { name: accountName, access: [{ instance: 'jira', scopes: ['WRITE'] }] });
    const issued = await requestToken(server, account);
    const eventsBefore = await auditCount();

    const result = await server.admin.put(`/service-accounts/${account.id}?dryRun=true`, { name: accountName, description: 'new', access: [{ instance: 'jira', scopes: ['READ'] }] });

    assert.equal(result.status, 200, result.text);
    assert.deepEqual(result.body.changes, ['description', 'access']);
    assert.equal(result.body.description, 'new');
    assert.equal(await auditCount(), eventsBefore);
    const stored = await server.admin.get(`/service-accounts/${account.id}`);
    assert.equal(stored.body.description, '');
    assert.deepEqual(stored.body.access[0].scopes, ['WRITE']);
    assert.equal((await introspect(server, resourceServer, issued.body.access_token)).body.active, true);
  });

  it('rejects invalid state with the field', async () => {
    const accountName = name();
    const account = await createAccount(server, { name: accountName });

    assertProblem(await server.admin.put(`/service-accounts/${account.id}`, { name: accountName, access: [{ instance: 'jira', scopes: ['NOPE'] }] }), 400, 'unknown_scope', 'access[0].scopes[0]');
    assertProblem(await server.admin.put(`/service-accounts/${account.id}`, { description: 'no name' }), 400, 'validation_failed', 'name');
    assertProblem(await server.admin.put(`/service-accounts/${account.id}`, { name: accountName, credential: {} }), 400, 'validation_failed', 'credential');
    assertProblem(await server.admin.put(`/service-accounts/${account.id}`, { name: 'desired-resource-server' }), 409, 'name_taken', 'name');
    assertProblem(await server.admin.put('/service-accounts/missing', { name: accountName }), 404, 'not_found');
  });

  it('is in the OpenAPI document', async () => {
    const document = await (await fetch(`${server.baseUrl}/api/v1/openapi.json`)).json();
    const put = document.paths['/api/v1/service-accounts/{id}'].put;

    assert.deepEqual(put.requestBody.content['application/json'].schema.required, ['name']);
    assert.ok(put.parameters.some((parameter: { name: string; in: string }) => parameter.name === 'dryRun' && parameter.in === 'query'));
  });

  it('auditor cannot put', async () => {
    const account = await createAccount(server, { name: name() });
    await server.admin.post('/admins', { username: 'desired-auditor', password: 'auditor-password-123', role: 'auditor' });
    const { AdminClient } = await import('./support/server.js');
    const auditor = new AdminClient(server.baseUrl);
    assert.equal((await auditor.signIn('desired-auditor', 'auditor-password-123')).status, 200);

    assertProblem(await auditor.put(`/service-accounts/${account.id}`, { name: account.body.name }), 403, 'forbidden');
  });
});

describe('policy PUT without changes', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });

  after(() => server.close());

  it('unchanged policy is not audited', async () => {
    const first = await server.admin.put('/policy', { credentials: { maxLifetimeDays: 90 } });
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.body.changes, ['credentials.maxLifetimeDays']);

    const events = await server.admin.get('/audit-events?action=policy.updated');
    const second = await server.admin.put('/policy', { credentials: { maxLifetimeDays: 90 } });
    const eventsAfter = await server.admin.get('/audit-events?action=policy.updated');

    assert.equal(second.status, 200, second.text);
    assert.deepEqual(second.body.changes, []);
    assert.equal(second.body.updatedAt, first.body.updatedAt);
    assert.equal(eventsAfter.body.items.length, events.body.items.length);
  });

  it('dry run reports without writing', async () => {
    const result = await server.admin.put('/policy?dryRun=true', { credentials: { maxLifetimeDays: 30 } });
    const stored = await server.admin.get('/policy');

    assert.equal(result.status, 200, result.text);
    assert.deepEqual(result.body.changes, ['credentials.maxLifetimeDays']);
    assert.equal(result.body.credentials.maxLifetimeDays, 30);
    assert.equal(stored.body.credentials.maxLifetimeDays, 90);
  });
});
