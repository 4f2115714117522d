import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAccount, ensureInstance } from '../support/server.js';
import { type PanelHarness, openPanel, signIn, waitForTable } from './browser.js';

describe('panel forms', () => {
  let harness: PanelHarness;
  /** Every state-changing request the browser sent to the admin API, as "METHOD /path". */
  const writes: string[] = [];

  before(async () => {
    harness = await openPanel();
    await ensureInstance(harness.server, 'jira', 'jira', 'https://jira.example.com');
    await ensureInstance(harness.server, 'wiki', 'confluence', 'https://wiki.example.com');
    await createAccount(harness.server, { name: 'billing-sync', access: [{ instance: 'jira', scopes: ['READ'] }] });
    harness.page.on('request', (request) => {
      const url = new URL(request.url());
      if (request.method() !== 'GET' && url.pathname.startsWith('/api/v1/')) writes.push(`${request.method()} ${url.pathname}`);
    });
    await signIn(harness);
  });

  after(() => harness?.close());

  it('duplicate name keeps input and marks the field', async () => {
    const { page, server } = harness;
    await page.goto(`${server.baseUrl}/service-accounts/new`);
    await page.locator('#account-name').fill('billing-sync');
    await page.getByLabel('Description').fill('Sends invoices.');
    await page.getByLabel('Owner').fill('finance');
    await page.getByLabel('Add access to').selectOption('jira');
    await page.getByRole('button', { name: 'Add access' }).click();
    await page.getByRole('checkbox', { name: 'READ', exact: true }).check();
    await page.getByRole('radio', { name: /^All/ }).check();
    await page.getByRole('button', { name: 'Create service account' }).click();

    const error = page.locator('#account-name-error');
    await error.waitFor();
    assert.equal(await error.textContent(), 'A service account named "billing-sync" already exists; choose another name.');
    const name = page.locator('#account-name');
    assert.equal(await name.getAttribute('aria-invalid'), 'true');
    assert.ok((await name.getAttribute('aria-describedby'))?.split(' ').includes('account-name-error'));
    // The form moves focus to the field the server named, in the next animation frame.
    await page.waitForFunction(() => document.activeElement?.id === 'account-name');

    assert.equal(new URL(page.url()).pathname, '/service-accounts/new');
    assert.equal(await name.inputValue(), 'billing-sync');
    assert.equal(await page.getByLabel('Description').inputValue(), 'Sends invoices.');
    assert.equal(await page.getByLabel('Owner').inputValue(), 'finance');
    assert.equal(await page.getByRole('checkbox', { name: 'READ', exact: true }).isChecked(), true);
    assert.equal(await page.getByRole('radio', { name: /^All/ }).isChecked(), true);

    await name.fill('billing-sync-2');
    assert.equal(await error.count(), 0);
    await page.getByRole('button', { name: 'Create service account' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/created'));
  });

  it('fields validate while typing', async () => {
    const { page, server } = harness;
    await page.goto(`${server.baseUrl}/instances/new`);
    const before = writes.length;

    const cases: { label: string; value: string; error: string | null }[] = [
      { label: 'Name', value: ' Jira', error: 'Remove the spaces at the start or end, and any control characters.' },
      { label: 'Name', value: 'Jira staging', error: null },
      { label: 'Slug', value: 'Jira Staging', error: 'Use lowercase letters, digits and hyphens, starting and ending with a letter or digit, such as jira-prod.' },
      { label: 'Slug', value: 'j', error: 'Use 2 to 63 characters.' },
      { label: 'Slug', value: 'jira-staging', error: null },
      { label: 'Audience', value: 'jira.example.com', error: 'Enter an absolute URL, such as https://jira.example.com.' },
      { label: 'Audience', value: 'ftp://jira.example.com', error: 'Use an http or https URL.' },
      { label: 'Audience', value: 'https://jira-staging.example.com/?tab=1', error: 'Remove the query string (the part from "?").' },
      { label: 'Audience', value: 'https://jira-staging.example.com/#top', error: 'Remove the fragment (the part from "#").' },
      { label: 'Audience', value: 'https://jira-staging.example.com', error: null },
      { label: 'Access-token lifetime in seconds', value: '30', error: 'Enter 60 to 86400 seconds.' },
      { label: 'Access-token lifetime in seconds', value: '1.5', error: 'Enter a whole number of seconds.' },
      { label: 'Access-token lifetime in seconds', value: '900', error: null },
    ];
    for (const { label, value, error } of cases) {
      const input = page.getByLabel(label);
      await input.fill(value);
      const errorText = page.locator(`#${await input.getAttribute('id')}-error`);
      if (error === null) {
        assert.equal(await errorText.count(), 0, `${label} "${value}" shows an error`);
        assert.equal(await input.getAttribute('aria-invalid'), null);
      } else {
        assert.equal(await errorText.textContent(), error, `${label} "${value}"`);
        assert.equal(await input.getAttribute('aria-invalid'), 'true');
      }
    }

    await page.getByLabel('Slug').fill('Bad Slug');
    await page.getByRole('button', { name: 'Add instance' }).click();
    assert.equal(writes.length, before, 'an invalid form was sent');
    await page.waitForFunction(() => document.activeElement?.id === 'instance-slug');

    await page.getByLabel('Slug').fill('jira');
    await page.getByRole('button', { name: 'Add instance' }).click();
    const taken = page.locator('#instance-slug-error');
    await taken.waitFor();
    assert.equal(await taken.textContent(), 'slug "jira" is taken by another instance; choose another.');
    assert.equal(await page.getByLabel('Audience').inputValue(), 'https://jira-staging.example.com');
    assert.equal(await page.getByLabel('Access-token lifetime in seconds').inputValue(), '900');
  });

  it('grant without scope is not sent', async () => {
    const { page, server } = harness;
    await page.goto(`${server.baseUrl}/service-accounts/new`);
    const before = writes.length;
    await page.locator('#account-name').fill('no-scope');
    await page.getByLabel('Add access to').selectOption('wiki');
    await page.getByRole('button', { name: 'Add access' }).click();
    await page.getByRole('button', { name: 'Create service account' }).click();

    const scopes = page.getByRole('group', { name: 'Scopes' });
    await scopes.getByText('Choose at least one scope.').waitFor();
    assert.equal(await scopes.getAttribute('aria-invalid'), 'true');
    assert.equal(writes.length, before);

    await page.getByRole('checkbox', { name: 'READ', exact: true }).check();
    assert.equal(await scopes.getByText('Choose at least one scope.').count(), 0);
  });

  it('several grants give one curl per instance', async () => {
    const { page, server } = harness;
    await page.goto(`${server.baseUrl}/service-accounts/new`);
    await page.locator('#account-name').fill('two-products');
    for (const slug of ['jira', 'wiki']) {
      await page.getByLabel('Add access to').selectOption(slug);
      await page.getByRole('button', { name: 'Add access' }).click();
    }
    const grants = page.locator('section.grant');
    await grants.nth(0).getByRole('checkbox', { name: 'READ', exact: true }).check();
    await grants.nth(1).getByRole('checkbox', { name: 'WRITE', exact: true }).check();
    await grants.nth(1).getByRole('radio', { name: 'Only these ids' }).check();
    await grants.nth(1).getByLabel('space ids').fill('DOCS');
    await page.getByRole('button', { name: 'Create service account' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/created'));

    await page.locator('.command-text').filter({ hasText: 'resource=https://wiki.example.com' }).waitFor();
    const clientId = await page.locator('[data-testid="client-id"]').textContent();
    const secret = await page.locator('[data-testid="client-secret"]').textContent();
    const commands = await page.locator('.command-text').allTextContents();
    assert.deepEqual(commands, [
      `curl -u "${clientId}:${secret}" -d grant_type=client_credentials -d resource=https://jira.example.com ${server.baseUrl}/oauth/token`,
      `curl -u "${clientId}:${secret}" -d grant_type=client_credentials -d resource=https://wiki.example.com ${server.baseUrl}/oauth/token`,
    ]);
  });

  it('instance in use shows the conflict', async () => {
    const { page, server } = harness;
    await page.goto(`${server.baseUrl}/instances`);
    await waitForTable(page);
    const opener = page.getByRole('button', { name: 'Delete JIRA' });
    await opener.click();

    const dialog = page.getByRole('dialog', { name: 'Delete JIRA?' });
    await dialog.getByRole('button', { name: 'Delete instance' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /^\d+ service account\(s\) hold grants on "jira"; remove those grants first/);
    assert.equal(await dialog.isVisible(), true);

    // Tab stays inside the dialog, and Escape closes it and returns focus to the opener.
    for (let step = 0; step < 6; step += 1) {
      await page.keyboard.press('Tab');
      assert.equal(await dialog.evaluate((element) => element.contains(document.activeElement)), true, `focus left the dialog after ${step + 1} Tab presses`);
    }
    await page.keyboard.press('Shift+Tab');
    assert.equal(await dialog.evaluate((element) => element.contains(document.activeElement)), true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await opener.evaluate((element) => element === document.activeElement), true);
    assert.equal((await server.admin.get('/instances/jira')).status, 200);
  });

  it('audit export waits for valid filters', async () => {
    const { page, server } = harness;
    await page.goto(`${server.baseUrl}/audit?action=account.*`);
    await waitForTable(page);
    const csv = page.getByRole('link', { name: 'Export CSV' });
    assert.equal(await csv.getAttribute('href'), '/api/v1/audit-events/export?action=account.*&format=csv');

    await page.getByLabel('Action').fill('account created');
    assert.equal(await page.locator('#audit-action-error').textContent(), 'Use an action such as credential.rotated, or a prefix such as credential.*.');
    assert.equal(await csv.getAttribute('href'), null, 'no export of the filters the form no longer shows');
    assert.equal(await csv.getAttribute('aria-disabled'), 'true');
    assert.equal(await page.locator('#export-blocked').textContent(), 'Fix the filters, or clear them, to export.');

    await page.getByLabel('Action').fill('account.created');
    assert.equal(await csv.getAttribute('href'), '/api/v1/audit-events/export?action=account.*&format=csv');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL((url) => url.searchParams.get('action') === 'account.created');
    assert.equal(await csv.getAttribute('href'), '/api/v1/audit-events/export?action=account.created&format=csv');
  });
});
