import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { createAccount, ensureInstance } from '../support/server.js';
import { type PanelHarness, openPanel, screenshot, signIn, waitForTable } from './browser.js';

const AUDITOR_PASSWORD = 'test-auditor-password-1';

/** Chromium reports every 4xx response as a console error. These are the ones the tests cause on purpose. */
const EXPECTED_REJECTION = /^console: Failed to load resource: the server responded with a status of 400/;

/** Opens the policy page as a new document and waits for its form. */
async function openPolicy(harness: PanelHarness): Promise<Page> {
  const { page, server } = harness;
  await page.goto(`${server.baseUrl}/policy`);
  await page.getByRole('form', { name: 'Organisation policy' }).waitFor();
  return page;
}

describe('panel policy', () => {
  let harness: PanelHarness;
  /** PUT /api/v1/policy requests the browser sent, with their response status. */
  const puts: number[] = [];

  before(async () => {
    harness = await openPanel();
    await ensureInstance(harness.server, 'jira', 'jira', 'https://jira.example.com');
    harness.page.on('response', (response) => {
      const url = new URL(response.url());
      if (response.request().method() === 'PUT' && url.pathname === '/api/v1/policy') puts.push(response.status());
    });
    await signIn(harness, '/policy');
  });

  after(() => harness?.close());

  it('policy saves and persists', async () => {
    const page = await openPolicy(harness);
    assert.equal(await page.getByLabel('Maximum credential lifetime in days').inputValue(), '');
    assert.equal(await page.getByLabel('Default access-token lifetime in seconds').inputValue(), '3600');

    await page.getByLabel('Maximum credential lifetime in days').fill('180');
    await page.getByLabel('Every credential must have an expiry').check();
    await page.getByLabel('Maximum live credentials per account').fill('3');
    await page.getByLabel('Default access-token lifetime in seconds').fill('1800');
    await page.getByLabel('Maximum access-token lifetime in seconds').fill('7200');
    await page.getByLabel('Default IP allowlist').fill('10.0.0.0/8\n\n2001:db8::/32\n');
    await page.getByLabel('Dormant after days unused').fill('90');
    await page.getByLabel('Action on a dormant account').selectOption('disable');
    await page.getByLabel('Warn contacts days before').fill('14');
    await page.getByLabel('Notify before a credential expires, in days').fill('3, 14');
    await page.getByRole('button', { name: 'Save policy' }).click();

    const notice = page.getByRole('status').filter({ hasText: 'Saved the policy.' });
    await notice.waitFor();
    assert.equal(await notice.textContent(), 'Saved the policy. Everything that exists today complies with it.');
    assert.deepEqual(puts, [200]);
    // The form now shows the policy as stored, with the lead days sorted, and can be saved again.
    assert.equal(await page.getByLabel('Notify before a credential expires, in days').inputValue(), '14, 3');
    assert.equal(await page.getByRole('button', { name: 'Save policy' }).isEnabled(), true);

    const stored = (await harness.server.admin.get('/policy')).body;
    assert.deepEqual(stored.credentials, { maxLifetimeDays: 180, expiryRequired: true, maxLivePerAccount: 3, blockNoncompliantFrom: null });
    assert.deepEqual(stored.accessTokens, { defaultLifetimeSeconds: 1800, maxLifetimeSeconds: 7200 });
    assert.deepEqual(stored.network, { defaultIpAllowlist: ['10.0.0.0/8', '2001:db8::/32'] });
    assert.deepEqual(stored.dormancy, { afterDays: 90, action: 'disable', warnDaysBefore: 14 });
    assert.deepEqual(stored.notifications, { expiryLeadDays: [14, 3] });
    assert.deepEqual(stored.scopes, { allowedByInstance: {}, adminScopesAllowed: false });

    await page.reload();
    await page.getByRole('form', { name: 'Organisation policy' }).waitFor();
    assert.equal(await page.getByLabel('Maximum credential lifetime in days').inputValue(), '180');
    assert.equal(await page.getByLabel('Every credential must have an expiry').isChecked(), true);
    assert.equal(await page.getByLabel('Maximum live credentials per account').inputValue(), '3');
    assert.equal(await page.getByLabel('Default access-token lifetime in seconds').inputValue(), '1800');
    assert.equal(await page.getByLabel('Maximum access-token lifetime in seconds').inputValue(), '7200');
    assert.equal(await page.getByLabel('Default IP allowlist').inputValue(), '10.0.0.0/8\n2001:db8::/32');
    assert.equal(await page.getByLabel('Dormant after days unused').inputValue(), '90');
    assert.equal(await page.getByLabel('Action on a dormant account').inputValue(), 'disable');
    assert.equal(await page.getByLabel('Warn contacts days before').inputValue(), '14');
    assert.equal(await page.getByLabel('Notify before a credential expires, in days').inputValue(), '14, 3');
    assert.equal(await page.getByRole('status').filter({ hasText: 'Saved the policy.' }).count(), 0, 'the save report does not outlive a reload');
  });

  it('client rule marks the field without a request', async () => {
    const page = await openPolicy(harness);
    const before = puts.length;
    await page.getByLabel('Maximum credential lifetime in days').fill('0');
    assert.equal(await page.locator('#policy-max-lifetime-days-error').textContent(), 'Enter 1 to 3650 days.');
    await page.getByLabel('Notify before a credential expires, in days').fill('30, soon');
    assert.equal(await page.locator('#policy-lead-days-error').textContent(), '"soon" is not a whole number of days from 1 to 365; separate the days with commas, such as 30, 7, 1.');

    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.waitForFunction(() => document.activeElement?.id === 'policy-max-lifetime-days');
    assert.equal(puts.length, before, 'an invalid form sends nothing');
  });

  it('server errors show at the field', async () => {
    const page = await openPolicy(harness);
    await page.getByLabel('Default access-token lifetime in seconds').fill('7200');
    await page.getByLabel('Maximum access-token lifetime in seconds').fill('3600');
    await page.getByRole('button', { name: 'Save policy' }).click();

    const tokenError = page.locator('#policy-default-token-lifetime-error');
    await tokenError.waitFor();
    assert.equal(
      await tokenError.textContent(),
      'accessTokens.defaultLifetimeSeconds (7200) is longer than accessTokens.maxLifetimeSeconds (3600); lower the default or raise the maximum.',
    );
    assert.equal(await page.getByLabel('Default access-token lifetime in seconds').getAttribute('aria-invalid'), 'true');
    await page.waitForFunction(() => document.activeElement?.id === 'policy-default-token-lifetime');
    assert.equal(await page.getByLabel('Default access-token lifetime in seconds').inputValue(), '7200', 'the typed value stays');
    assert.equal(await page.getByLabel('Maximum access-token lifetime in seconds').inputValue(), '3600');
    assert.equal(puts.at(-1), 400);

    await page.getByLabel('Default access-token lifetime in seconds').fill('900');
    assert.equal(await tokenError.count(), 0, 'editing the field clears the server error');
    await page.getByLabel('Default IP allowlist').fill('10.0.0.0/8\n10.0.0.300/8');
    await page.getByRole('button', { name: 'Save policy' }).click();

    const cidrError = page.locator('#policy-ip-allowlist-error');
    await cidrError.waitFor();
    assert.equal(await cidrError.textContent(), 'network.defaultIpAllowlist[1] "10.0.0.300/8" is not an IPv4 or IPv6 CIDR block; write it like 203.0.113.0/24 or 2001:db8::/48.');
    assert.equal(await page.getByLabel('Default IP allowlist').inputValue(), '10.0.0.0/8\n10.0.0.300/8');
    assert.equal(puts.at(-1), 400);

    const stored = (await harness.server.admin.get('/policy')).body;
    assert.deepEqual(stored.accessTokens, { defaultLifetimeSeconds: 1800, maxLifetimeSeconds: 7200 }, 'rejected saves change nothing');
    assert.deepEqual(stored.network.defaultIpAllowlist, ['10.0.0.0/8', '2001:db8::/32']);
  });

  it('tightening lists non-compliant items', async () => {
    const { server } = harness;
    const legacy = await createAccount(server, { name: 'legacy-export', access: [{ instance: 'jira', scopes: ['WRITE'], resources: { project: '*' } }], credential: { expiresInDays: 180 } });
    await createAccount(server, { name: 'reader', access: [{ instance: 'jira', scopes: ['READ'], resources: { project: '*' } }], credential: { expiresInDays: 30 } });

    const page = await openPolicy(harness);
    await page.getByLabel('Maximum credential lifetime in days').fill('90');
    await page.getByLabel('Limit the scopes on jira').check();
    const picker = page.getByRole('group', { name: 'Allowed scopes on jira' });
    await picker.getByRole('checkbox', { name: 'READ', exact: true }).check();
    await page.getByRole('button', { name: 'Save policy' }).click();

    const notice = page.getByRole('status').filter({ hasText: 'Saved the policy.' });
    await notice.waitFor();
    assert.match((await notice.textContent()) ?? '', /1 credential\(s\), 0 account\(s\) with too many live credentials, 1 grant\(s\)\./);
    assert.deepEqual((await server.admin.get('/policy')).body.scopes.allowedByInstance, { jira: ['READ'] });
    // The test clock does not advance, so this save has the same updatedAt as the first one and the form must still reset.
    assert.equal(await page.getByRole('button', { name: 'Save policy' }).isEnabled(), true);
    await screenshot(page, 'policy');

    await notice.getByRole('link', { name: 'Review the non-compliant list' }).click();
    await page.getByRole('heading', { level: 1, name: 'Non-compliant' }).waitFor();
    await waitForTable(page);

    const credentials = page.getByRole('table', { name: 'Non-compliant credentials' });
    const credentialRows = credentials.locator('tbody tr');
    assert.equal(await credentialRows.count(), 1);
    assert.equal(await credentialRows.locator('td').first().textContent(), 'legacy-export');
    assert.equal(await credentialRows.locator('code').getAttribute('title'), legacy.credentialId);
    assert.equal(await credentialRows.locator('td').last().textContent(), 'Lifetime is longer than the policy maximum');

    const grantRows = page.getByRole('table', { name: 'Non-compliant grants' }).locator('tbody tr');
    assert.equal(await grantRows.count(), 1);
    assert.deepEqual(await grantRows.locator('td').allTextContents(), ['legacy-export', 'jira', 'WRITE', 'Scopes the policy no longer allows on this instance']);
    assert.equal(await page.getByText('No account holds more live credentials than the policy allows.').count(), 1);
    await screenshot(page, 'policy-noncompliant');

    await credentials.getByRole('link', { name: 'legacy-export' }).click();
    await page.waitForURL((url) => url.pathname === `/service-accounts/${legacy.id}/credentials`);
    await page.getByRole('heading', { level: 1, name: /legacy-export/ }).waitFor();
  });

  it('admin scopes follow the opt-in', async () => {
    const page = await openPolicy(harness);
    const picker = page.getByRole('group', { name: 'Allowed scopes on jira' });
    assert.equal(await picker.getByRole('checkbox', { name: 'ADMIN', exact: true }).isDisabled(), true);
    await page.getByLabel('Allow admin-level scopes').check();
    assert.equal(await picker.getByRole('checkbox', { name: 'ADMIN', exact: true }).isEnabled(), true);
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved the policy.' }).waitFor();
    assert.equal((await harness.server.admin.get('/policy')).body.scopes.adminScopesAllowed, true);

    // The grant editor offers admin-level scopes once the policy allows them.
    await page.goto(`${harness.server.baseUrl}/service-accounts/new`);
    await page.getByLabel('Add access to').selectOption('jira');
    await page.getByRole('button', { name: 'Add access' }).click();
    assert.equal(await page.getByRole('checkbox', { name: 'ADMIN', exact: true }).isEnabled(), true);
  });

  it('blocking date keeps its time of day', async () => {
    const { server } = harness;
    const { credentials, accessTokens, scopes, network, dormancy, notifications } = (await server.admin.get('/policy')).body;
    const put = await server.admin.put('/policy', { credentials: { ...credentials, blockNoncompliantFrom: '2027-01-31T12:00:00Z' }, accessTokens, scopes, network, dormancy, notifications });
    assert.equal(put.status, 200, put.text);

    const page = await openPolicy(harness);
    const blockFrom = page.getByLabel('Reject non-compliant credentials from');
    assert.equal(await blockFrom.inputValue(), '2027-01-31');
    await page.getByLabel('Maximum live credentials per account').fill('4');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved the policy.' }).waitFor();
    assert.equal((await server.admin.get('/policy')).body.credentials.blockNoncompliantFrom, '2027-01-31T12:00:00.000Z', 'an unedited day keeps the time the API set');

    await blockFrom.fill('2027-03-01');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved the policy.' }).waitFor();
    assert.equal((await server.admin.get('/policy')).body.credentials.blockNoncompliantFrom, '2027-03-01T00:00:00.000Z');
  });

  it('auditor sees the policy read-only', async () => {
    const { page, server } = harness;
    const created = await server.admin.post('/admins', { username: 'auditor', password: AUDITOR_PASSWORD, role: 'auditor' });
    assert.equal(created.status, 201, created.text);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/sign-in');
    await signIn(harness, '/policy', 'auditor', AUDITOR_PASSWORD);
    await page.getByRole('form', { name: 'Organisation policy' }).waitFor();

    assert.equal(await page.getByRole('status').filter({ hasText: 'You are signed in as an auditor, so the policy is read-only.' }).count(), 1);
    assert.equal(await page.getByRole('button', { name: 'Save policy' }).count(), 0);
    for (const label of ['Maximum credential lifetime in days', 'Default access-token lifetime in seconds', 'Default IP allowlist', 'Action on a dormant account', 'Allow admin-level scopes']) {
      assert.equal(await page.getByLabel(label).isDisabled(), true, `${label} is read-only`);
    }
    assert.equal(await page.getByLabel('Maximum credential lifetime in days').inputValue(), '90');
  });

  it('pages raise no unexpected errors', () => {
    assert.deepEqual(
      harness.errors.filter((error) => !EXPECTED_REJECTION.test(error)),
      [],
    );
    assert.equal(harness.errors.length, 2, 'the two rejected saves');
    assert.deepEqual(harness.foreignRequests, []);
  });
});
