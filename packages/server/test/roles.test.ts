import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem } from './support/problem.js';
import { AdminClient, type CreatedAccount, type HttpResult, type TestServer, createAccount, ensureInstance, requestToken, startTestServer } from './support/server.js';

const PASSWORD = 'a-long-enough-password';

describe('admin roles', () => {
  let server: TestServer;
  let jira: any;
  let wiki: any;
  let auditor: AdminClient;
  let jiraAdmin: AdminClient;
  let jiraAdminId: string;
  let jiraAccount: CreatedAccount;
  let wikiAccount: CreatedAccount;
  let sharedAccount: CreatedAccount;

  async function signedIn(username: string): Promise<AdminClient> {
    const client = new AdminClient(server.baseUrl);
    const result = await client.signIn(username, PASSWORD);
    assert.equal(result.status, 200, result.text);
    return client;
  }

  async function forbiddenEvents(): Promise<any[]> {
    const events = await server.admin.get('/audit-events?action=admin.forbidden&limit=100');
    return events.body.items;
  }

  /** Asserts a 403 and that an admin.forbidden event records it. */
  async function assertForbidden(result: HttpResult, adminId: string): Promise<void> {
    assertProblem(result, 403, 'forbidden');
    const [latest] = await forbiddenEvents();
    assert.equal(latest.actor.id, adminId);
    assert.equal(latest.outcome, 'failure');
  }

  before(async () => {
    server = await startTestServer();
    jira = await ensureInstance(server, 'jira');
    wiki = await ensureInstance(server, 'wiki', 'confluence');

    const createdAuditor = await server.admin.post('/admins', { username: 'auditor', password: PASSWORD, role: 'auditor' });
    assert.equal(createdAuditor.status, 201, createdAuditor.text);
    const createdJiraAdmin = await server.admin.post('/admins', { username: 'jira-admin', password: PASSWORD, role: 'instance-admin', instances: ['jira'] });
    assert.equal(createdJiraAdmin.status, 201, createdJiraAdmin.text);
    assert.deepEqual(createdJiraAdmin.body.instances, [jira.id]);
    jiraAdminId = createdJiraAdmin.body.id;

    auditor = await signedIn('auditor');
    jiraAdmin = await signedIn('jira-admin');
    jiraAccount = await createAccount(server, { name: 'jira-bot', access: [{ instance: 'jira', scopes: ['READ'] }] });
    wikiAccount = await createAccount(server, { name: 'wiki-bot', access: [{ instance: 'wiki', scopes: ['READ'] }] });
    sharedAccount = await createAccount(server, { name: 'both-bot', access: [{ instance: 'jira', scopes: ['READ'] }, { instance: 'wiki', scopes: ['READ'] }] });
  });

  after(() => server.close());

  describe('admin management', () => {
    it('lists admins with roles', async () => {
      const result = await server.admin.get('/admins');
      assert.equal(result.status, 200);
      const byName = Object.fromEntries(result.body.items.map((item: any) => [item.username, item]));
      assert.equal(byName.admin.role, 'admin');
      assert.equal(byName.auditor.role, 'auditor');
      assert.deepEqual(byName['jira-admin'].instances, [jira.id]);
      assert.equal(byName['jira-admin'].hasPassword, true);
      assert.equal(JSON.stringify(result.body).includes('argon2'), false, 'no password hash is shown');
    });

    it('creation is audited without the password', async () => {
      const events = await server.admin.get('/audit-events?action=admin.created&limit=10');
      const created = events.body.items.find((item: any) => item.details?.after?.username === 'jira-admin');
      assert.equal(created.actor.type, 'admin');
      assert.equal(JSON.stringify(events.body).includes(PASSWORD), false);
    });

    const invalid: Array<[string, Record<string, unknown>, number, string, string | undefined]> = [
      ['short password', { username: 'x1', password: 'short', role: 'auditor' }, 400, 'validation_failed', 'password'],
      ['unknown role', { username: 'x2', password: PASSWORD, role: 'owner' }, 400, 'validation_failed', 'role'],
      ['instance-admin without instances', { username: 'x3', password: PASSWORD, role: 'instance-admin' }, 400, 'validation_failed', 'instances'],
      ['instances for an auditor', { username: 'x4', password: PASSWORD, role: 'auditor', instances: ['jira'] }, 400, 'validation_failed', 'instances'],
      ['unknown instance', { username: 'x5', password: PASSWORD, role: 'instance-admin', instances: ['nope'] }, 400, 'unknown_instance', 'instances[0]'],
      ['taken username', { username: 'auditor', password: PASSWORD, role: 'auditor' }, 409, 'username_taken', 'username'],
      ['spaces in username', { username: 'an admin', password: PASSWORD, role: 'auditor' }, 400, 'validation_failed', 'username'],
    ];
    for (const [label, body, status, code, field] of invalid) {
      it(`rejects ${label}`, async () => {
        assertProblem(await server.admin.post('/admins', body), status, code, field);
      });
    }

    it('keeps the last full admin', async () => {
      const admins = await server.admin.get('/admins');
      const self = admins.body.items.find((item: any) => item.username === 'admin');
      assertProblem(await server.admin.patch(`/admins/${self.id}`, { role: 'auditor' }), 409, 'last_admin');
      assertProblem(await server.admin.delete(`/admins/${self.id}`), 409, 'last_admin');
    });

    it('role change applies to live sessions', async () => {
      const created = await server.admin.post('/admins', { username: 'temporary', password: PASSWORD, role: 'admin' });
      const temporary = await signedIn('temporary');
      assert.equal((await temporary.post('/instances', { slug: 'tmp-one', name: 'Tmp', profile: 'jira', audience: 'https://tmp-one.example.com' })).status, 201);

      const demoted = await server.admin.patch(`/admins/${created.body.id}`, { role: 'auditor' });
      assert.equal(demoted.status, 200, demoted.text);
      assert.equal(demoted.body.role, 'auditor');
      await assertForbidden(await temporary.post('/instances', { slug: 'tmp-two', name: 'Tmp', profile: 'jira', audience: 'https://tmp-two.example.com' }), created.body.id);

      assert.equal((await server.admin.delete(`/admins/${created.body.id}`)).status, 204);
      assertProblem(await temporary.get('/service-accounts'), 401, 'unauthenticated');
    });
  });

  describe('auditor', () => {
    it('reads accounts, audit, policy and instances', async () => {
      assert.equal((await auditor.get('/service-accounts')).status, 200);
      assert.equal((await auditor.get(`/service-accounts/${wikiAccount.id}`)).status, 200);
      assert.equal((await auditor.get('/audit-events')).status, 200);
      assert.equal((await auditor.get('/audit-events/export?format=jsonl')).status, 200);
      assert.equal((await auditor.get('/policy')).status, 200);
      assert.equal((await auditor.get('/instances')).body.items.length >= 2, true);
    });

    const auditorId = () => auditor && server.admin.get('/admins').then((r) => r.body.items.find((item: any) => item.username === 'auditor').id);
    const changes: Array<[string, () => Promise<HttpResult>]> = [
      ['create an account', () => auditor.post('/service-accounts', { name: 'by-auditor' })],
      ['edit an account', () => auditor.patch(`/service-accounts/${jiraAccount.id}`, { description: 'x' })],
      ['delete an account', () => auditor.delete(`/service-accounts/${jiraAccount.id}`)],
      ['add a credential', () => auditor.post(`/service-accounts/${jiraAccount.id}/credentials`, {})],
      ['revoke a credential', () => auditor.delete(`/service-accounts/${jiraAccount.id}/credentials/${jiraAccount.credentialId}`)],
      ['create an instance', () => auditor.post('/instances', { slug: 'aud', name: 'Aud', profile: 'jira', audience: 'https://aud.example.com' })],
      ['change the policy', () => auditor.put('/policy', {})],
      ['rotate signing keys', () => auditor.post('/signing-keys/rotate', {})],
      ['list admins', () => auditor.get('/admins')],
      ['create an admin', () => auditor.post('/admins', { username: 'sneaky', password: PASSWORD, role: 'admin' })],
    ];
    for (const [label, call] of changes) {
      it(`cannot ${label}`, async () => {
        await assertForbidden(await call(), await auditorId());
      });
    }

    it('changed nothing while refused', async () => {
      const account = await server.admin.get(`/service-accounts/${jiraAccount.id}`);
      assert.equal(account.body.description, '');
      assert.equal((await requestToken(server, jiraAccount)).status, 200);
    });
  });

  describe('instance-admin', () => {
    it('sees only its instances and their accounts', async () => {
      const instances = await jiraAdmin.get('/instances');
      assert.deepEqual(instances.body.items.map((item: any) => item.slug), ['jira']);

      const accounts = await jiraAdmin.get('/service-accounts');
      assert.deepEqual(accounts.body.items.map((item: any) => item.name).sort(), ['both-bot', 'jira-bot']);
      assert.equal(accounts.body.total, 2);

      assert.equal((await jiraAdmin.get(`/service-accounts/${sharedAccount.id}`)).status, 200, 'an account partly on its instance is readable');
      await assertForbidden(await jiraAdmin.get(`/service-accounts/${wikiAccount.id}`), jiraAdminId);
      await assertForbidden(await jiraAdmin.get(`/instances/${wiki.id}`), jiraAdminId);
    });

    it('manages accounts of its instance', async () => {
      const created = await jiraAdmin.post('/service-accounts', { name: 'jira-admin-made', access: [{ instance: 'jira', scopes: ['WRITE'] }] });
      assert.equal(created.status, 201, created.text);
      const token = await requestToken(server, { clientId: created.body.clientId, clientSecret: created.body.credential.clientSecret });
      assert.equal(token.status, 200);

      const edited = await jiraAdmin.patch(`/service-accounts/${created.body.id}`, { description: 'made by the Jira admin' });
      assert.equal(edited.status, 200, edited.text);
      const rotated = await jiraAdmin.post(`/service-accounts/${created.body.id}/credentials/${created.body.credential.id}/rotate`, {});
      assert.equal(rotated.status, 201, rotated.text);
      assert.equal((await jiraAdmin.delete(`/service-accounts/${created.body.id}`)).status, 204);

      const events = await server.admin.get(`/audit-events?actor=jira-admin&action=account.deleted`);
      assert.equal(events.body.items.length, 1);
    });

    it('cannot reach other instances', async () => {
      await assertForbidden(await jiraAdmin.post('/service-accounts', { name: 'to-wiki', access: [{ instance: 'wiki', scopes: ['READ'] }] }), jiraAdminId);
      await assertForbidden(await jiraAdmin.patch(`/service-accounts/${jiraAccount.id}`, { access: [{ instance: 'jira', scopes: ['READ'] }, { instance: 'wiki', scopes: ['READ'] }] }), jiraAdminId);
      await assertForbidden(await jiraAdmin.patch(`/service-accounts/${sharedAccount.id}`, { description: 'mine now' }), jiraAdminId);
      await assertForbidden(await jiraAdmin.delete(`/service-accounts/${wikiAccount.id}`), jiraAdminId);
      await assertForbidden(await jiraAdmin.post(`/service-accounts/${sharedAccount.id}/credentials`, {}), jiraAdminId);
      await assertForbidden(await jiraAdmin.delete(`/service-accounts/${wikiAccount.id}/credentials/${wikiAccount.credentialId}`), jiraAdminId);
      await assertForbidden(await jiraAdmin.post('/instances', { slug: 'mine', name: 'Mine', profile: 'jira', audience: 'https://mine.example.com' }), jiraAdminId);
      await assertForbidden(await jiraAdmin.put('/policy', {}), jiraAdminId);

      assertProblem(await jiraAdmin.post('/service-accounts', { name: 'no-access' }), 400, 'validation_failed', 'access');
      assert.equal((await requestToken(server, wikiAccount)).status, 200, 'the wiki account is untouched');
    });

    it('reads only audit events about its instance', async () => {
      const events = await jiraAdmin.get('/audit-events?limit=100');
      assert.equal(events.status, 200);
      assert.ok(events.body.items.length > 0);
      const wikiEvents = events.body.items.filter((item: any) => item.actor.id === wikiAccount.id || item.target?.id === wikiAccount.id || item.instanceId === wiki.id);
      assert.deepEqual(wikiEvents, []);
      assert.ok(events.body.items.some((item: any) => item.target?.id === jiraAccount.id));

      const all = await server.admin.get(`/audit-events?account=${wikiAccount.id}&limit=1`);
      await assertForbidden(await jiraAdmin.get(`/audit-events/${all.body.items[0].id}`), jiraAdminId);
    });

    it('reports cover only its accounts', async () => {
      const unused = await jiraAdmin.get('/reports/unused-accounts?days=1');
      assert.equal(unused.status, 200, unused.text);
      assert.equal(unused.body.items.some((item: any) => item.id === wikiAccount.id), false);

      const expiring = await jiraAdmin.get('/reports/expiring-credentials?withinDays=3650');
      assert.equal(expiring.status, 200, expiring.text);
      const names = expiring.body.items.map((item: any) => item.accountName);
      assert.ok(names.includes('jira-bot'));
      assert.equal(names.includes('wiki-bot'), false);

      await assertForbidden(await jiraAdmin.get('/notifications/deliveries'), jiraAdminId);
      await assertForbidden(await jiraAdmin.get(`/service-accounts/${wikiAccount.id}/notifications`), jiraAdminId);
      assert.equal((await jiraAdmin.get(`/notifications/deliveries?accountId=${jiraAccount.id}`)).status, 200);
    });

    it('non-compliance covers only its accounts', async () => {
      // A one-day maximum lifetime makes every existing credential non-compliant.
      const policy = await server.admin.put('/policy', { credentials: { maxLifetimeDays: 1 } });
      assert.equal(policy.status, 200, policy.text);

      const full = await server.admin.get('/policy/noncompliance');
      const fullNames = full.body.credentials.map((item: any) => item.accountName);
      assert.ok(fullNames.includes('wiki-bot'), full.text);
      const scoped = await jiraAdmin.get('/policy/noncompliance');
      assert.equal(scoped.status, 200, scoped.text);
      const scopedNames = scoped.body.credentials.map((item: any) => item.accountName);
      assert.ok(scopedNames.includes('jira-bot'), scoped.text);
      assert.ok(scopedNames.includes('both-bot'), scoped.text);
      assert.equal(scopedNames.includes('wiki-bot'), false);

      assert.equal((await server.admin.put('/policy', {})).status, 200);
    });

    it('seat report covers only its instances', async () => {
      const report = await jiraAdmin.get('/reports/seats');
      assert.equal(report.status, 200, report.text);
      assert.deepEqual(report.body.items.map((item: any) => item.instance.slug), ['jira']);
      await assertForbidden(await jiraAdmin.get('/migrations/manifest'), jiraAdminId);
      await assertForbidden(await jiraAdmin.get('/migrations/imports'), jiraAdminId);
      await assertForbidden(await jiraAdmin.get('/audit-sinks'), jiraAdminId);
      await assertForbidden(await jiraAdmin.get('/audit-retention'), jiraAdminId);
    });

    it('loses access when its instances change', async () => {
      const changed = await server.admin.patch(`/admins/${jiraAdminId}`, { instances: ['wiki'] });
      assert.equal(changed.status, 200, changed.text);
      assert.deepEqual(changed.body.instances, [wiki.id]);
      await assertForbidden(await jiraAdmin.get(`/service-accounts/${jiraAccount.id}`), jiraAdminId);
      assert.equal((await jiraAdmin.get(`/service-accounts/${wikiAccount.id}`)).status, 200);
      await server.admin.patch(`/admins/${jiraAdminId}`, { instances: ['jira'] });
    });
  });
});
