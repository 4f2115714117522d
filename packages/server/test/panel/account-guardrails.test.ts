import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAccount, ensureInstance } from '../support/server.js';
import { type PanelHarness, openPanel, screenshot, signIn } from './browser.js';

/** Chromium reports every 4xx response as a console error. These are the ones the tests cause on purpose. */
const EXPECTED_REJECTION = /^console: Failed to load resource: the server responded with a status of 400/;

describe('panel account guardrails', () => {
  let harness: PanelHarness;
  let accountId = '';

  before(async () => {
    harness = await openPanel();
    await ensureInstance(harness.server, 'jira', 'jira', 'https://jira.example.com');
    await signIn(harness);
  });

  after(() => harness?.close());

  /** Reads the overview's description list as a map of term to definition. */
  async function overviewDetails(): Promise<Record<string, string>> {
    const { page } = harness;
    const terms = await page.locator('.overview dl.details dt').allTextContents();
    const definitions = await page.locator('.overview dl.details dd').allTextContents();
    return Object.fromEntries(terms.map((term, index) => [term, definitions[index]]));
  }

  it('account is created with guardrail fields', async () => {
    const { page, server } = harness;
    await page.goto(`${server.baseUrl}/service-accounts/new`);
    await page.locator('#account-name').fill('warehouse-sync');
    await page.getByLabel('Purpose').fill('Copies issues to the data warehouse every night.');
    await page.getByRole('button', { name: 'Add contact' }).click();
    await page.getByLabel('Contact 1 email address').fill('data-team@example.com');
    await page.getByRole('button', { name: 'Add contact' }).click();
    await page.getByLabel('Contact 2 type').selectOption('webhook');
    await page.getByLabel('Contact 2 webhook URL').fill('https://hooks.example.com/tessera');
    await page.getByRole('button', { name: 'Add contact' }).click();
    await page.getByRole('button', { name: 'Remove contact 3' }).click();
    await page.getByLabel('Review date').fill('2027-06-30');
    await page.getByLabel('IP allowlist').fill('203.0.113.0/24\n2001:db8::1');
    await page.getByLabel('Token requests per minute').fill('60');
    await page.getByLabel('Token requests per day').fill('5000');
    await page.getByLabel('When the limit is exceeded').selectOption('log_only');
    assert.equal(await page.getByLabel('Require DPoP-bound tokens').isChecked(), false);
    await page.getByRole('button', { name: 'Create service account' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/created'));
    accountId = new URL(page.url()).pathname.split('/')[2];

    const stored = (await server.admin.get(`/service-accounts/${accountId}`)).body;
    assert.equal(stored.purpose, 'Copies issues to the data warehouse every night.');
    assert.deepEqual(stored.contacts, [
      { type: 'email', address: 'data-team@example.com' },
      { type: 'webhook', url: 'https://hooks.example.com/tessera' },
    ]);
    assert.equal(stored.reviewDate, '2027-06-30');
    assert.deepEqual(stored.ipAllowlist, ['203.0.113.0/24', '2001:db8::1/128']);
    assert.deepEqual(stored.rateLimit, { perMinute: 60, perDay: 5000, mode: 'log_only' });
    assert.equal(stored.dpopBound, false);

    await page.getByRole('link', { name: 'Go to the account' }).click();
    await page.getByRole('heading', { level: 1, name: /warehouse-sync/ }).waitFor();
    const details = await overviewDetails();
    assert.equal(details.Purpose, 'Copies issues to the data warehouse every night.');
    assert.equal(details.Contacts, 'data-team@example.com (email)https://hooks.example.com/tessera (webhook)');
    assert.equal(details['Review date'], 'Jun 30, 2027');
    assert.equal(details['IP allowlist'], '203.0.113.0/242001:db8::1/128');
    assert.equal(details['Rate limit'], '60 per minute, 5000 per day token requests, excess only recorded in the audit log');
    assert.equal(details.DPoP, 'Not required');
    assert.equal(details['Dormant since'], undefined);
  });

  it('guardrail fields are edited', async () => {
    const { page, server } = harness;
    await page.getByRole('button', { name: 'Edit details' }).click();
    assert.equal(await page.getByLabel('Contact 2 webhook URL').inputValue(), 'https://hooks.example.com/tessera');
    assert.equal(await page.getByLabel('IP allowlist').inputValue(), '203.0.113.0/24\n2001:db8::1/128');

    await page.getByLabel('Purpose').fill('Copies issues and comments to the data warehouse.');
    await page.getByRole('button', { name: 'Remove contact 1' }).click();
    await page.getByLabel('Review date').fill('');
    await page.getByLabel('IP allowlist').fill('');
    await page.getByLabel('Token requests per minute').fill('');
    await page.getByLabel('When the limit is exceeded').selectOption('enforce');

    const warning = page.getByRole('status').filter({ hasText: "Turning this on ends the account's existing bearer tokens" });
    assert.equal(await warning.count(), 0);
    await page.getByLabel('Require DPoP-bound tokens').check();
    await warning.waitFor();
    await page.getByRole('button', { name: 'Save details' }).click();

    const saved = page.getByRole('status').filter({ hasText: 'Saved the details.' });
    await saved.waitFor();
    const details = await overviewDetails();
    assert.equal(details.Purpose, 'Copies issues and comments to the data warehouse.');
    assert.equal(details.Contacts, 'https://hooks.example.com/tessera (webhook)');
    assert.equal(details['Review date'], 'None');
    assert.equal(details['IP allowlist'], "The policy's default");
    assert.equal(details['Rate limit'], '5000 per day token requests, excess rejected');
    assert.equal(details.DPoP, 'Required: tokens are bound to a client key');

    const stored = (await server.admin.get(`/service-accounts/${accountId}`)).body;
    assert.deepEqual(stored.contacts, [{ type: 'webhook', url: 'https://hooks.example.com/tessera' }]);
    assert.equal(stored.reviewDate, null);
    assert.equal(stored.ipAllowlist, null);
    assert.deepEqual(stored.rateLimit, { perMinute: null, perDay: 5000, mode: 'enforce' });
    assert.equal(stored.dpopBound, true);

    // The success message belongs to the save: another tab ends it.
    await page.getByRole('tab', { name: 'Access' }).click();
    await page.getByRole('tab', { name: 'Overview' }).click();
    await page.getByRole('button', { name: 'Edit details' }).waitFor();
    assert.equal(await saved.count(), 0);
  });

  it('server rejection keeps the edits', async () => {
    const { page } = harness;
    await page.getByRole('button', { name: 'Edit details' }).click();
    await page.getByRole('button', { name: 'Add contact' }).click();
    await page.getByLabel('Contact 2 email address').fill('data-team at example.com');
    await page.getByLabel('Token requests per minute').fill('100');
    await page.getByLabel('Token requests per day').fill('50');
    await page.getByRole('button', { name: 'Save details' }).click();

    const contactError = page.locator('#edit-contact-1-value-error');
    await contactError.waitFor();
    assert.equal(await contactError.textContent(), 'contacts[1].address "data-team at example.com" is not an email address; write it like team@example.com.');
    assert.equal(await page.getByLabel('Contact 2 email address').inputValue(), 'data-team at example.com');

    await page.getByLabel('Contact 2 email address').fill('data-team@example.com');
    await page.getByRole('button', { name: 'Save details' }).click();
    const perDayError = page.locator('#edit-per-day-error');
    await perDayError.waitFor();
    assert.equal(await perDayError.textContent(), 'rateLimit.perDay (50) is lower than rateLimit.perMinute (100); raise perDay or lower perMinute.');
    assert.equal(await page.getByLabel('Token requests per minute').inputValue(), '100');

    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.deepEqual((await harness.server.admin.get(`/service-accounts/${accountId}`)).body.rateLimit, { perMinute: null, perDay: 5000, mode: 'enforce' });
  });

  it('dormant account shows a badge', async () => {
    const { page, server } = harness;
    const dormantSince = Date.UTC(2026, 10, 2, 9, 30);
    await server.tessera.context.db.updateTable('service_accounts').set({ dormant_since: dormantSince }).where('id', '=', accountId).execute();

    await page.goto(`${server.baseUrl}/service-accounts/${accountId}`);
    const badge = page.locator('h1 .badge-dormant');
    await badge.waitFor();
    assert.equal(await badge.textContent(), 'Dormant since Nov 2, 2026');
    assert.equal((await overviewDetails())['Dormant since'], 'Nov 2, 2026, 10:30 AM');
    await screenshot(page, 'account-guardrails');
  });

  it('policy maximum rejects a long expiry', async () => {
    const { page, server } = harness;
    assert.equal((await server.admin.put('/policy', { credentials: { maxLifetimeDays: 90 } })).status, 200);

    await page.goto(`${server.baseUrl}/service-accounts/new`);
    await page.locator('#account-name').fill('quarterly-report');
    await page.getByText("The organisation's policy allows credentials of at most 90 days.").waitFor();
    await page.getByRole('radio', { name: 'In 180 days' }).check();
    await page.getByRole('button', { name: 'Create service account' }).click();

    const expiryError = page.locator('#create-expiry-error');
    await expiryError.waitFor();
    assert.equal(
      await expiryError.textContent(),
      "credential.expiresInDays is 180, but the organisation's policy allows credentials of at most 90 days; send 90 or fewer. (policy credentials.maxLifetimeDays)",
    );
    assert.equal(await page.locator('#account-name').inputValue(), 'quarterly-report');
    assert.equal(await page.getByRole('radio', { name: 'In 180 days' }).isChecked(), true);

    await page.getByRole('radio', { name: 'In 90 days' }).check();
    assert.equal(await expiryError.count(), 0);
    await page.getByRole('button', { name: 'Create service account' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/created'));
  });

  it('policy maximum rejects a new credential', async () => {
    const { page, server } = harness;
    const account = await createAccount(server, { name: 'short-lived', credential: { expiresInDays: 30 } });
    await page.goto(`${server.baseUrl}/service-accounts/${account.id}/credentials`);
    await page.getByRole('button', { name: 'Create credential' }).click();

    const dialog = page.getByRole('dialog', { name: 'Create credential' });
    await dialog.getByRole('radio', { name: 'In 365 days' }).check();
    await dialog.getByRole('button', { name: 'Create credential' }).click();
    const expiryError = dialog.locator('#new-credential-expiry-error');
    await expiryError.waitFor();
    assert.equal(await expiryError.textContent(), "expiresInDays is 365, but the organisation's policy allows credentials of at most 90 days; send 90 or fewer. (policy credentials.maxLifetimeDays)");
    assert.equal(await dialog.getByRole('alert').count(), 0, 'the problem shows once, at the expiry');
    assert.equal((await server.admin.get(`/service-accounts/${account.id}/credentials`)).body.items.length, 1);
  });

  it('revoke warns when only rotated credentials remain', async () => {
    const { page, server } = harness;
    const account = await createAccount(server, { name: 'rotating-job', credential: { expiresInDays: 30 } });
    const rotated = await server.admin.post(`/service-accounts/${account.id}/credentials/${account.credentialId}/rotate`, { gracePeriodSeconds: 86_400 });
    assert.equal(rotated.status, 201, rotated.text);

    await page.goto(`${server.baseUrl}/service-accounts/${account.id}/credentials`);
    await page.locator(`tr[data-credential-id="${rotated.body.id}"]`).getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog', { name: /^Revoke credential/ });
    await dialog.waitFor();
    assert.match((await dialog.getByRole('status').textContent()) ?? '', /^The account's other credentials were rotated and only work until their grace period ends, the last at .+\. Create a new credential first, or clients lose access then\.$/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    await page.locator(`tr[data-credential-id="${account.credentialId}"]`).getByRole('button', { name: 'Revoke' }).click();
    await dialog.waitFor();
    assert.equal(await dialog.getByRole('status').count(), 0, 'the new credential keeps working, so no warning');
  });

  it('pages raise no unexpected errors', () => {
    assert.deepEqual(
      harness.errors.filter((error) => !EXPECTED_REJECTION.test(error)),
      [],
    );
    assert.equal(harness.errors.length, 4, 'the four rejected requests');
    assert.deepEqual(harness.foreignRequests, []);
  });
});
