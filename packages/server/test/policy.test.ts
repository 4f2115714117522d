import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { assertProblem } from './support/problem.js';
import { type TestServer, createAccount, ensureInstance, requestToken, startTestServer } from './support/server.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('organisation policy', () => {
  let server: TestServer;
  let counter = 0;
  const name = () => `policy-${++counter}`;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
    await ensureInstance(server, 'wiki', 'confluence');
  });

  after(() => server.close());

  // Each test starts from the default policy, so that one test's guardrail does not trip another.
  beforeEach(async () => {
    const reset = await server.admin.put('/policy', {});
    assert.equal(reset.status, 200, reset.text);
  });

  function setPolicy(body: Record<string, unknown>) {
    return server.admin.put('/policy', body);
  }

  async function lastEvent(action: string) {
    const events = await server.admin.get(`/audit-events?action=${action}&limit=1`);
    assert.equal(events.status, 200);
    return events.body.items[0];
  }

  describe('document', () => {
    it('defaults allow what earlier versions allowed', async () => {
      const result = await server.admin.get('/policy');
      assert.equal(result.status, 200);
      assert.deepEqual(result.body.credentials, { maxLifetimeDays: null, expiryRequired: false, maxLivePerAccount: null, blockNoncompliantFrom: null });
      assert.deepEqual(result.body.accessTokens, { defaultLifetimeSeconds: 3600, maxLifetimeSeconds: 86400 });
      assert.deepEqual(result.body.scopes, { allowedByInstance: {}, adminScopesAllowed: false });
      assert.deepEqual(result.body.network, { defaultIpAllowlist: null });
      assert.deepEqual(result.body.dormancy, { afterDays: null, action: 'flag', warnDaysBefore: 7 });
      assert.deepEqual(result.body.notifications, { expiryLeadDays: [30, 7, 1] });
    });

    it('update is stored and audited', async () => {
      const result = await setPolicy({ credentials: { maxLifetimeDays: 90 }, notifications: { expiryLeadDays: [1, 14, 14] }, network: { defaultIpAllowlist: ['10.1.2.3/8', '2001:db8::1'] } });
      assert.equal(result.status, 200, result.text);
      assert.equal(result.body.credentials.maxLifetimeDays, 90);
      assert.deepEqual(result.body.notifications.expiryLeadDays, [14, 1]);
      assert.deepEqual(result.body.network.defaultIpAllowlist, ['10.1.2.3/8', '2001:db8::1/128']);
      assert.deepEqual(result.body.noncompliant, { credentials: 0, accounts: 0, grants: 0 });

      const read = await server.admin.get('/policy');
      assert.equal(read.body.credentials.maxLifetimeDays, 90);
      assert.equal(typeof read.body.updatedAt, 'string');

      const event = await lastEvent('policy.updated');
      assert.equal(event.actor.type, 'admin');
      assert.equal(event.details.before.credentials.maxLifetimeDays, null);
      assert.equal(event.details.after.credentials.maxLifetimeDays, 90);
    });

    it('allowed scopes are keyed by instance slug', async () => {
      const jira = await server.admin.get('/instances/jira');
      const result = await setPolicy({ scopes: { allowedByInstance: { [jira.body.id]: ['READ', 'read:issue'] } } });
      assert.equal(result.status, 200, result.text);
      assert.deepEqual(result.body.scopes.allowedByInstance, { jira: ['READ', 'read:issue'] });
    });

    const invalid: Array<[string, Record<string, unknown>, string, string]> = [
      ['default above maximum', { accessTokens: { defaultLifetimeSeconds: 7200, maxLifetimeSeconds: 3600 } }, 'validation_failed', 'accessTokens.defaultLifetimeSeconds'],
      ['lifetime below a minute', { accessTokens: { maxLifetimeSeconds: 30 } }, 'validation_failed', 'accessTokens.maxLifetimeSeconds'],
      ['unknown section', { passwords: {} }, 'validation_failed', 'passwords'],
      ['unknown field', { credentials: { maxLifetime: 3 } }, 'validation_failed', 'credentials.maxLifetime'],
      ['zero lifetime days', { credentials: { maxLifetimeDays: 0 } }, 'validation_failed', 'credentials.maxLifetimeDays'],
      ['unknown instance', { scopes: { allowedByInstance: { nope: ['READ'] } } }, 'unknown_instance', 'scopes.allowedByInstance.nope'],
      ['unknown scope', { scopes: { allowedByInstance: { jira: ['DELETE'] } } }, 'unknown_scope', 'scopes.allowedByInstance.jira[0]'],
      ['admin scope without opt-in', { scopes: { allowedByInstance: { jira: ['ADMIN'] } } }, 'admin_scope_not_allowed', 'scopes.allowedByInstance.jira[0]'],
      ['bad CIDR', { network: { defaultIpAllowlist: ['10.0.0.0/33'] } }, 'validation_failed', 'network.defaultIpAllowlist[0]'],
      ['not an address', { network: { defaultIpAllowlist: ['intranet'] } }, 'validation_failed', 'network.defaultIpAllowlist[0]'],
      ['bad blocking date', { credentials: { blockNoncompliantFrom: '2027-02-30' } }, 'validation_failed', 'credentials.blockNoncompliantFrom'],
      ['warning after dormancy', { dormancy: { afterDays: 7, warnDaysBefore: 7 } }, 'validation_failed', 'dormancy.warnDaysBefore'],
      ['unknown dormancy action', { dormancy: { action: 'delete' } }, 'validation_failed', 'dormancy.action'],
      ['lead time of zero days', { notifications: { expiryLeadDays: [0] } }, 'validation_failed', 'notifications.expiryLeadDays[0]'],
    ];
    for (const [label, body, code, field] of invalid) {
      it(`rejects ${label}`, async () => {
        const before = await server.admin.get('/policy');
        const result = await setPolicy(body);
        assertProblem(result, 400, code, field);
        const afterwards = await server.admin.get('/policy');
        assert.deepEqual(afterwards.body, before.body, 'a rejected update changes nothing');
      });
    }
  });

  describe('credential lifetime', () => {
    it('maximum lifetime shortens the default and rejects longer ones', async () => {
      await setPolicy({ credentials: { maxLifetimeDays: 90 } });

      const byDefault = await createAccount(server, { name: name() });
      const expiresIn = Date.parse(byDefault.body.credential.expiresAt) - server.clock.now();
      assert.equal(Math.round(expiresIn / DAY_MS), 90);

      const atLimit = await server.admin.post('/service-accounts', { name: name(), credential: { expiresInDays: 90 } });
      assert.equal(atLimit.status, 201, atLimit.text);

      const tooLong = await server.admin.post('/service-accounts', { name: name(), credential: { expiresInDays: 91 } });
      assertProblem(tooLong, 400, 'policy_violation', 'credential.expiresInDays');
      assert.match(tooLong.body.detail, /credentials\.maxLifetimeDays/);

      const never = await server.admin.post(`/service-accounts/${byDefault.id}/credentials`, { expiresInDays: null });
      assertProblem(never, 400, 'policy_violation', 'expiresInDays');
    });

    it('required expiry rejects a credential that never expires', async () => {
      await setPolicy({ credentials: { expiryRequired: true } });
      const result = await server.admin.post('/service-accounts', { name: name(), credential: { expiresInDays: null } });
      assertProblem(result, 400, 'policy_violation', 'credential.expiresInDays');
      assert.match(result.body.detail, /credentials\.expiryRequired/);

      const listed = await server.admin.get(`/service-accounts?search=${encodeURIComponent(`policy-${counter}`)}`);
      assert.equal(listed.body.total, 0, 'the rejected account was not created');

      const withExpiry = await server.admin.post('/service-accounts', { name: name(), credential: { expiresInDays: 3650 } });
      assert.equal(withExpiry.status, 201, withExpiry.text);
    });

    it('rotation shortens an inherited lifetime to the maximum', async () => {
      const account = await createAccount(server, { name: name(), credential: { expiresInDays: 365 } });
      await setPolicy({ credentials: { maxLifetimeDays: 30 } });

      const rotated = await server.admin.post(`/service-accounts/${account.id}/credentials/${account.credentialId}/rotate`, { gracePeriodSeconds: 0 });
      assert.equal(rotated.status, 201, rotated.text);
      assert.equal(Math.round((Date.parse(rotated.body.expiresAt) - server.clock.now()) / DAY_MS), 30);
    });
  });

  describe('live credentials per account', () => {
    it('a credential past the maximum is rejected, rotation is not', async () => {
      await setPolicy({ credentials: { maxLivePerAccount: 2 } });
      const account = await createAccount(server, { name: name() });

      const second = await server.admin.post(`/service-accounts/${account.id}/credentials`, {});
      assert.equal(second.status, 201, second.text);

      const third = await server.admin.post(`/service-accounts/${account.id}/credentials`, {});
      assertProblem(third, 400, 'policy_violation');
      assert.match(third.body.detail, /credentials\.maxLivePerAccount/);

      const rotated = await server.admin.post(`/service-accounts/${account.id}/credentials/${account.credentialId}/rotate`, {});
      assert.equal(rotated.status, 201, rotated.text);

      const credentials = await server.admin.get(`/service-accounts/${account.id}/credentials`);
      assert.equal(credentials.body.items.length, 3, 'the rotated credential stays live during its grace period');
    });
  });

  describe('access token lifetime', () => {
    it('policy default and maximum apply to tokens', async () => {
      const account = await createAccount(server, { name: name(), access: [{ instance: 'jira', scopes: ['READ'] }] });

      await setPolicy({ accessTokens: { defaultLifetimeSeconds: 600, maxLifetimeSeconds: 900 } });
      const token = await requestToken(server, account);
      assert.equal(token.status, 200, token.text);
      assert.equal(token.body.expires_in, 600);
    });

    it('caps an instance setting made before the policy', async () => {
      const instance = await server.admin.post('/instances', { slug: 'long-lived', name: 'Long lived', profile: 'jira', audience: 'https://long-lived.example.com', accessTokenLifetimeSeconds: 7200 });
      assert.equal(instance.status, 201, instance.text);
      const account = await createAccount(server, { name: name(), access: [{ instance: 'long-lived', scopes: ['READ'] }] });

      const capped = await setPolicy({ accessTokens: { maxLifetimeSeconds: 1800 } });
      assert.deepEqual(capped.body.accessTokens, { defaultLifetimeSeconds: 1800, maxLifetimeSeconds: 1800 }, 'a lower maximum lowers the default');
      const token = await requestToken(server, account);
      assert.equal(token.body.expires_in, 1800);

      const longer = await server.admin.patch('/instances/long-lived', { accessTokenLifetimeSeconds: 3600 });
      assertProblem(longer, 400, 'policy_violation', 'accessTokenLifetimeSeconds');
      const shorter = await server.admin.patch('/instances/long-lived', { accessTokenLifetimeSeconds: 900 });
      assert.equal(shorter.status, 200, shorter.text);
    });
  });

  describe('scopes', () => {
    it('grants are limited to the allowed scopes', async () => {
      await setPolicy({ scopes: { allowedByInstance: { jira: ['READ'] } } });

      const write = await server.admin.post('/service-accounts', { name: name(), access: [{ instance: 'jira', scopes: ['READ', 'WRITE'] }] });
      assertProblem(write, 400, 'policy_violation', 'access[0].scopes[1]');
      assert.match(write.body.detail, /scopes\.allowedByInstance/);

      const read = await server.admin.post('/service-accounts', { name: name(), access: [{ instance: 'jira', scopes: ['READ'] }] });
      assert.equal(read.status, 201, read.text);
      // An instance the policy does not list allows every non-admin scope.
      const wiki = await server.admin.post('/service-accounts', { name: name(), access: [{ instance: 'wiki', scopes: ['WRITE'] }] });
      assert.equal(wiki.status, 201, wiki.text);
    });

    it('admin scopes need the opt-in', async () => {
      const refused = await server.admin.post('/service-accounts', { name: name(), access: [{ instance: 'jira', scopes: ['ADMIN'] }] });
      assertProblem(refused, 400, 'admin_scope_not_allowed', 'access[0].scopes[0]');
      assert.match(refused.body.detail, /scopes\.adminScopesAllowed/);

      await setPolicy({ scopes: { adminScopesAllowed: true } });
      const account = await createAccount(server, { name: name(), access: [{ instance: 'jira', scopes: ['ADMIN'] }] });
      const token = await requestToken(server, account);
      assert.equal(token.status, 200, token.text);
      assert.equal(token.body.scope, 'ADMIN');
    });
  });

  describe('existing access a tightened policy no longer allows', () => {
    it('is reported, then refused from the date set', async () => {
      const account = await createAccount(server, { name: name(), access: [{ instance: 'jira', scopes: ['READ'] }], credential: { expiresInDays: null } });

      const tightened = await setPolicy({ credentials: { expiryRequired: true } });
      assert.equal(tightened.status, 200, tightened.text);
      assert.ok(tightened.body.noncompliant.credentials >= 1);

      const report = await server.admin.get('/policy/noncompliance');
      assert.equal(report.status, 200);
      const entry = report.body.credentials.find((item: { credentialId: string }) => item.credentialId === account.credentialId);
      assert.deepEqual(entry.violations, ['no_expiry']);
      assert.equal(entry.accountId, account.id);
      assert.equal(report.body.blocking, false);

      // Reported but still working until the date the admin sets.
      assert.equal((await requestToken(server, account)).status, 200);

      const from = new Date(server.clock.now() + DAY_MS).toISOString();
      await setPolicy({ credentials: { expiryRequired: true, blockNoncompliantFrom: from } });
      assert.equal((await requestToken(server, account)).status, 200);

      server.clock.advance(DAY_MS + 1000);
      // The admin session ends after a day as well.
      await server.admin.signIn();
      const refused = await requestToken(server, account);
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error, 'invalid_client');
      assert.match(refused.body.error_description, /credential policy/);

      const event = await lastEvent('token.refused');
      assert.equal(event.reason, 'credential_noncompliant:no_expiry');
      assert.equal(event.actor.credentialId, account.credentialId);

      // Rotation yields a compliant credential that works.
      const rotated = await server.admin.post(`/service-accounts/${account.id}/credentials/${account.credentialId}/rotate`, { gracePeriodSeconds: 0 });
      assert.equal(rotated.status, 201, rotated.text);
      assert.notEqual(rotated.body.expiresAt, null);
      assert.equal((await requestToken(server, { clientId: account.clientId, clientSecret: rotated.body.clientSecret })).status, 200);
    });

    it('disallowed scopes leave tokens from the date set', async () => {
      const account = await createAccount(server, { name: name(), access: [{ instance: 'jira', scopes: ['READ', 'WRITE'] }] });

      const tightened = await setPolicy({ scopes: { allowedByInstance: { jira: ['READ'] } } });
      assert.ok(tightened.body.noncompliant.grants >= 1);
      const report = await server.admin.get('/policy/noncompliance');
      const grant = report.body.grants.find((item: { accountId: string }) => item.accountId === account.id);
      assert.deepEqual(grant, { accountId: account.id, accountName: account.body.name, instance: 'jira', scopes: ['WRITE'], violations: ['scope_not_allowed'] });

      assert.equal((await requestToken(server, account)).body.scope, 'READ WRITE');

      await setPolicy({ scopes: { allowedByInstance: { jira: ['READ'] } }, credentials: { blockNoncompliantFrom: new Date(server.clock.now()).toISOString() } });
      const narrowed = await requestToken(server, account);
      assert.equal(narrowed.status, 200, narrowed.text);
      assert.equal(narrowed.body.scope, 'READ');

      const write = await requestToken(server, account, { scope: 'WRITE' });
      assert.equal(write.status, 400);
      assert.equal(write.body.error, 'invalid_scope');
    });

    it('accounts over the live-credential maximum are reported', async () => {
      const account = await createAccount(server, { name: name() });
      await server.admin.post(`/service-accounts/${account.id}/credentials`, {});
      await setPolicy({ credentials: { maxLivePerAccount: 1 } });

      const report = await server.admin.get('/policy/noncompliance');
      const entry = report.body.accounts.find((item: { accountId: string }) => item.accountId === account.id);
      assert.deepEqual(entry, { accountId: account.id, accountName: account.body.name, liveCredentials: 2, violations: ['too_many_live_credentials'] });
    });
  });
});
