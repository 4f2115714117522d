import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, AdminClient, type CreatedAccount, createAccount, ensureInstance } from '../support/server.js';
import { type PanelHarness, openPanel, screenshot, signIn, waitForTable } from './browser.js';

const PASSWORD = 'a-long-enough-password';

/** Chromium reports every 4xx response as a console error. These are the ones the tests cause on purpose. */
const EXPECTED_CONFLICT = /^console: Failed to load resource: the server responded with a status of 409/;
const EXPECTED_FORBIDDEN = /^console: Failed to load resource: the server responded with a status of 403/;

/** The pages every role reaches from the navigation, with their headings. */
const MAIN_PAGES: [string, string][] = [
  ['/service-accounts', 'Service accounts'],
  ['/reports', 'Expiring and unused'],
  ['/audit', 'Audit log'],
  ['/instances', 'Product instances'],
  ['/policy', 'Policy'],
  ['/policy/noncompliant', 'Non-compliant'],
  ['/seats', 'Seats'],
];

describe('panel roles', () => {
  let harness: PanelHarness;
  let jiraAccount: CreatedAccount;
  let wikiAccount: CreatedAccount;
  let sharedAccount: CreatedAccount;

  before(async () => {
    harness = await openPanel();
    const { server } = harness;
    await ensureInstance(server, 'jira', 'jira', 'https://jira.example.com');
    await ensureInstance(server, 'wiki', 'confluence', 'https://wiki.example.com');
    jiraAccount = await createAccount(server, { name: 'jira-bot', access: [{ instance: 'jira', scopes: ['READ'], resources: { project: '*' } }] });
    wikiAccount = await createAccount(server, { name: 'wiki-bot', access: [{ instance: 'wiki', scopes: ['READ'], resources: { space: '*' } }] });
    sharedAccount = await createAccount(server, {
      name: 'both-bot',
      access: [
        { instance: 'jira', scopes: ['READ'], resources: { project: '*' } },
        { instance: 'wiki', scopes: ['READ'], resources: { space: '*' } },
      ],
    });
    await signIn(harness, '/admins');
  });

  after(() => harness?.close());

  /** Opens a panel path as a new document and waits until its heading shows and nothing is loading. */
  async function load(path: string, heading: string | RegExp): Promise<void> {
    const { page, server } = harness;
    await page.goto(`${server.baseUrl}${path}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    await page.waitForFunction(() => !Array.from(document.querySelectorAll('[role="status"]')).some((element) => element.textContent?.startsWith('Loading')));
  }

  async function switchTo(username: string, path: string, password = PASSWORD): Promise<void> {
    const { page } = harness;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/sign-in');
    await signIn(harness, path, username, password);
  }

  async function navLabels(): Promise<string[]> {
    return harness.page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
  }

  it('admin creates an auditor', async () => {
    const { page, server } = harness;
    await page.getByRole('heading', { level: 1, name: 'Admins' }).waitFor();
    await page.getByRole('button', { name: 'Create admin' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create admin' });
    await dialog.getByLabel('Username').fill('auditor');
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByLabel('Role').selectOption('auditor');
    assert.equal(await dialog.getByRole('group', { name: 'Instances' }).count(), 0, 'no instance picker for an auditor');
    await dialog.getByRole('button', { name: 'Create admin' }).click();

    await page.getByRole('status').filter({ hasText: 'Created the admin auditor.' }).waitFor();
    await waitForTable(page);
    const cells = await page.locator('tr[data-admin="auditor"] td').allTextContents();
    assert.deepEqual(cells.slice(0, 4), ['auditor', 'auditor', 'All', 'Password']);
    const stored = (await server.admin.get('/admins')).body.items.find((item: { username: string }) => item.username === 'auditor');
    assert.equal(stored.role, 'auditor');
  });

  it('admin creates an instance-admin', async () => {
    const { page, server } = harness;
    await page.getByRole('button', { name: 'Create admin' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create admin' });
    await dialog.getByLabel('Username').fill('jira-admin');
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByLabel('Role').selectOption('instance-admin');
    const picker = dialog.getByRole('group', { name: 'Instances' });
    assert.deepEqual(await picker.getByRole('checkbox').evaluateAll((boxes) => boxes.map((box) => box.parentElement?.textContent)), ['JIRA (jira)', 'WIKI (wiki)']);

    await dialog.getByRole('button', { name: 'Create admin' }).click();
    await picker.getByText('Choose at least one instance for an instance-admin.').waitFor();
    await picker.getByRole('checkbox', { name: 'JIRA (jira)' }).check();
    await dialog.getByRole('button', { name: 'Create admin' }).click();

    await page.getByRole('status').filter({ hasText: 'Created the admin jira-admin.' }).waitFor();
    await waitForTable(page);
    const cells = await page.locator('tr[data-admin="jira-admin"] td').allTextContents();
    assert.deepEqual(cells.slice(0, 3), ['jira-admin', 'instance-admin', 'jira']);
    const jira = (await server.admin.get('/instances/jira')).body;
    const stored = (await server.admin.get('/admins')).body.items.find((item: { username: string }) => item.username === 'jira-admin');
    assert.deepEqual(stored.instances, [jira.id]);
  });

  it('taken username shows at the field', async () => {
    const { page } = harness;
    await page.getByRole('button', { name: 'Create admin' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create admin' });
    await dialog.getByLabel('Username').fill('auditor');
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Create admin' }).click();

    const username = dialog.getByLabel('Username');
    await dialog.locator('#admin-username-error').filter({ hasText: 'An admin named "auditor" already exists' }).waitFor();
    assert.equal(await username.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'admin-username');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('demoting the only admin fails clearly', async () => {
    const { page, server } = harness;
    await page.getByRole('button', { name: 'Edit admin' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit admin' });
    await dialog.getByLabel('Role').selectOption('auditor');
    await dialog.getByRole('button', { name: 'Save changes' }).click();

    await dialog.getByRole('alert').filter({ hasText: '"admin" is the last admin with the admin role; give another admin that role first.' }).waitFor();
    const stored = (await server.admin.get('/admins')).body.items.find((item: { username: string }) => item.username === 'admin');
    assert.equal(stored.role, 'admin');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('password reset, role edit and delete', async () => {
    const { page, server } = harness;
    const created = await server.admin.post('/admins', { username: 'temp', password: PASSWORD, role: 'auditor' });
    assert.equal(created.status, 201, created.text);
    await load('/admins', 'Admins');

    await page.getByRole('button', { name: 'Reset the password of temp' }).click();
    const passwordDialog = page.getByRole('dialog', { name: 'Reset the password of temp' });
    await passwordDialog.getByLabel('New password').fill('another-long-password');
    await passwordDialog.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('status').filter({ hasText: 'Set a new password for temp.' }).waitFor();
    assert.equal((await new AdminClient(server.baseUrl).signIn('temp', 'another-long-password')).status, 200);

    await page.getByRole('button', { name: 'Edit temp' }).click();
    const editDialog = page.getByRole('dialog', { name: 'Edit temp' });
    await editDialog.getByLabel('Role').selectOption('instance-admin');
    await editDialog.getByRole('checkbox', { name: 'WIKI (wiki)' }).check();
    await editDialog.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved the changes to temp.' }).waitFor();
    await waitForTable(page);
    assert.deepEqual((await page.locator('tr[data-admin="temp"] td').allTextContents()).slice(1, 3), ['instance-admin', 'wiki']);

    await page.getByRole('button', { name: 'Delete temp' }).click();
    const deleteDialog = page.getByRole('dialog', { name: 'Delete temp?' });
    const confirm = deleteDialog.getByRole('button', { name: 'Delete admin' });
    assert.equal(await confirm.isDisabled(), true, 'disabled until the username is typed');
    await deleteDialog.getByLabel('Type the username, temp, to confirm').fill('temp');
    await confirm.click();
    await page.getByRole('status').filter({ hasText: 'Deleted the admin temp.' }).waitFor();
    await waitForTable(page);
    assert.equal(await page.locator('tr[data-admin="temp"]').count(), 0);
    assert.equal((await server.admin.get('/admins')).body.items.length, 3);
  });

  it('admin pages fit 1024 pixels wide', async () => {
    const { page } = harness;
    await page.setViewportSize({ width: 1024, height: 800 });
    for (const [path, heading] of [['/admins', 'Admins'], ...MAIN_PAGES]) {
      await load(path, heading);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 1024, `${path} is ${width} pixels wide`);
    }
    await load('/admins', 'Admins');
    await screenshot(page, 'admins-1024');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('auditor sees read-only pages', async () => {
    const { page } = harness;
    await switchTo('auditor', '/service-accounts');
    assert.deepEqual(await navLabels(), ['Service accounts', 'Expiring and unused', 'Audit log', 'Instances', 'Policy', 'Seats', 'Migration']);

    const noticed: [string, string][] = [
      ['/service-accounts', 'Service accounts'],
      ['/reports', 'Expiring and unused'],
      ['/instances', 'Product instances'],
      ['/policy', 'Policy'],
      ['/seats', 'Seats'],
      ['/migration', 'Migration'],
      [`/service-accounts/${jiraAccount.id}`, 'jira-bot'],
    ];
    for (const [path, heading] of noticed) {
      await load(path, heading);
      const notices = page.getByRole('status').filter({ hasText: /You are signed in as an auditor, so .* read-only\./ });
      assert.equal(await notices.count(), 1, `one read-only notice on ${path}`);
    }
    for (const [path, heading] of MAIN_PAGES) await load(path, heading);

    const changeControls = ['Create service account', 'Add instance', 'Save policy', 'Disable', 'Delete', 'Edit details', 'Save count', 'Create admin'];
    for (const [path, heading] of [...noticed, [`/service-accounts/${jiraAccount.id}/credentials`, 'jira-bot']]) {
      await load(path, heading);
      for (const name of changeControls) {
        assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, `no "${name}" button on ${path}`);
        assert.equal(await page.getByRole('link', { name, exact: true }).count(), 0, `no "${name}" link on ${path}`);
      }
    }
    assert.equal(await page.getByRole('button', { name: /^(Create credential|Rotate|Revoke)/ }).count(), 0, 'no credential actions');

    await load('/admins', 'Not available for your role');
    await page.getByText('This page needs the admin role; you are signed in as auditor.').waitFor();
    await load('/service-accounts/new', 'Not available for your role');
    assert.deepEqual(
      harness.errors.filter((error) => !EXPECTED_CONFLICT.test(error)),
      [],
      'the auditor pages raise no errors',
    );
  });

  it('instance-admin sees only its instance', async () => {
    const { page } = harness;
    await switchTo('jira-admin', '/instances');
    assert.deepEqual(await navLabels(), ['Service accounts', 'Expiring and unused', 'Audit log', 'Instances', 'Policy', 'Seats']);

    await load('/instances', 'Product instances');
    await waitForTable(page);
    assert.deepEqual(await page.locator('tbody tr td:nth-child(2)').allTextContents(), ['jira']);
    await page.getByRole('status').filter({ hasText: 'You are signed in as an instance-admin, so this page is read-only. Only an admin may change it.' }).waitFor();

    await load('/service-accounts', 'Service accounts');
    await waitForTable(page);
    const names = await page.locator('tbody tr td:first-child a').allTextContents();
    assert.deepEqual(names.sort(), ['both-bot', 'jira-bot']);
    assert.equal(await page.getByRole('link', { name: 'Create service account' }).count(), 1, 'an instance-admin creates accounts');
    assert.equal(await page.getByRole('status').filter({ hasText: 'read-only' }).count(), 0, 'no read-only notice on the account list');

    for (const [path, heading] of MAIN_PAGES) await load(path, heading);

    // A scope list for an instance outside the instance-admin's view is not an instance that is gone.
    const policy = await harness.server.admin.put('/policy', { scopes: { allowedByInstance: { wiki: ['READ'] } } });
    assert.equal(policy.status, 200, policy.text);
    await load('/policy', 'Policy');
    await page.getByText('Only the instances assigned to you are shown.').waitFor();
    assert.equal(await page.getByText('which is no longer an instance').count(), 0);
    assert.equal(await page.getByLabel('Limit the scopes on jira').count(), 1);
    assert.equal(await page.getByLabel('Limit the scopes on wiki').count(), 0);

    await load('/migration', 'Not available for your role');
    await load('/admins', 'Not available for your role');
    assert.deepEqual(
      harness.errors.filter((error) => !EXPECTED_CONFLICT.test(error)),
      [],
      'the instance-admin pages raise no errors',
    );
  });

  it('instance-admin creates an account on its instance', async () => {
    const { page, server } = harness;
    await load('/service-accounts/new', 'Create service account');
    await page.locator('#account-name').fill('jira-triage');
    const picker = page.getByLabel('Add access to');
    assert.deepEqual(await picker.locator('option').allTextContents(), ['JIRA (jira)']);
    await page.getByRole('button', { name: 'Add access' }).click();
    await page.getByRole('checkbox', { name: 'READ', exact: true }).check();
    await page.getByRole('button', { name: 'Create service account' }).click();

    await page.getByRole('heading', { level: 1, name: 'Service account jira-triage created' }).waitFor();
    const accounts = (await server.admin.get('/service-accounts?search=jira-triage')).body.items;
    assert.equal(accounts.length, 1);
    assert.deepEqual(accounts[0].access.map((grant: { instance: string }) => grant.instance), ['jira']);
  });

  it('shared account shows changes disabled', async () => {
    const { page } = harness;
    await load(`/service-accounts/${sharedAccount.id}`, 'both-bot');
    const reason = page.locator('#account-change-block');
    assert.equal(await reason.textContent(), 'You can read this account but not change it: it also has access to wiki, which is not assigned to you, so only an admin may change it.');
    for (const name of ['Disable', 'Delete']) {
      const button = page.getByRole('button', { name, exact: true });
      assert.equal(await button.isDisabled(), true, `${name} is disabled`);
      assert.equal(await button.getAttribute('aria-describedby'), 'account-change-block');
    }
    assert.equal(await page.getByRole('button', { name: 'Edit details' }).count(), 0);

    await load(`/service-accounts/${jiraAccount.id}`, 'jira-bot');
    assert.equal(await page.locator('#account-change-block').count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Disable', exact: true }).isDisabled(), false);
  });

  it('forbidden account shows a clear message', async () => {
    const { page } = harness;
    await load(`/service-accounts/${wikiAccount.id}`, 'Service account');
    const alert = page.getByRole('alert');
    assert.equal(await alert.locator('p').first().textContent(), 'Your role does not allow this.');
    assert.match((await alert.textContent()) ?? '', /The account has no access to an instance assigned to you; ask an admin\./);
    assert.equal(await alert.getByRole('button', { name: 'Try again' }).count(), 0);
    await screenshot(page, 'instance-admin-forbidden');
  });

  it('admin demoting itself loses the page', async () => {
    const { page, server } = harness;
    const second = await server.admin.post('/admins', { username: 'second-admin', password: PASSWORD, role: 'admin' });
    assert.equal(second.status, 201, second.text);
    await switchTo('admin', '/admins', ADMIN_PASSWORD);
    await waitForTable(page);
    assert.equal(await page.getByRole('button', { name: 'Delete admin' }).count(), 0, 'no delete button for oneself');
    assert.equal(await page.getByRole('button', { name: 'Delete second-admin' }).count(), 1);

    await page.getByRole('button', { name: 'Edit admin' }).click();
    await page.getByRole('dialog', { name: 'Edit admin' }).getByLabel('Role').selectOption('auditor');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { level: 1, name: 'Not available for your role' }).waitFor();
    await page.getByText('This page needs the admin role; you are signed in as auditor.').waitFor();
    assert.equal((await navLabels()).includes('Admins'), false);
  });

  it('pages raise no unexpected errors', () => {
    const unexpected = harness.errors.filter((error) => !EXPECTED_CONFLICT.test(error) && !EXPECTED_FORBIDDEN.test(error));
    assert.deepEqual(unexpected, []);
    assert.equal(harness.errors.filter((error) => EXPECTED_CONFLICT.test(error)).length, 2, 'the taken username and the last admin');
    assert.equal(harness.errors.filter((error) => EXPECTED_FORBIDDEN.test(error)).length, 1, 'the account outside the instance');
    assert.deepEqual(harness.foreignRequests, []);
  });
});
