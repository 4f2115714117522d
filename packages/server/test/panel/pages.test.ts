import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PANEL_CSP } from '../../src/web/static-files.js';
import { createAccount, ensureInstance, requestToken } from '../support/server.js';
import { type PanelHarness, cspViolations, openPanel, screenshot, signIn, waitForTable } from './browser.js';

/** Waits until no loading message is left on the page. */
async function settle(harness: PanelHarness): Promise<void> {
  await harness.page.waitForFunction(() => !Array.from(document.querySelectorAll('[role="status"]')).some((element) => element.textContent?.startsWith('Loading')));
}

describe('panel pages', () => {
  let harness: PanelHarness;
  let accountId = '';

  before(async () => {
    harness = await openPanel();
    const { server } = harness;
    await ensureInstance(server, 'jira', 'jira', 'https://jira.example.com');
    await ensureInstance(server, 'wiki', 'confluence', 'https://wiki.example.com');
    await ensureInstance(server, 'code', 'bitbucket', 'https://bitbucket.example.com');

    const account = await createAccount(server, {
      name: 'nightly-export',
      description: 'Exports issues and pages to the data warehouse every night.',
      owner: 'data-team',
      access: [
        { instance: 'jira', scopes: ['READ'], resources: { project: ['OPS', 'WEB'] } },
        { instance: 'wiki', scopes: ['READ'], resources: { space: '*' } },
      ],
      credential: { expiresInDays: 20 },
    });
    accountId = account.id;
    for (let index = 0; index < 3; index += 1) {
      const token = await requestToken(server, account, { resource: 'https://jira.example.com' });
      assert.equal(token.status, 200, token.text);
    }
    const refused = await requestToken(server, { clientId: account.clientId, clientSecret: 'tss_wrong' }, { resource: 'https://jira.example.com' });
    assert.equal(refused.status, 401);

    await createAccount(server, { name: 'release-bot', owner: 'platform', access: [{ instance: 'code', scopes: ['REPO_WRITE'], resources: { repository: ['web-app'], project: [] } }] });
    const disabled = await createAccount(server, { name: 'legacy-sync', owner: 'platform', description: 'Replaced by nightly-export.' });
    assert.equal((await server.admin.patch(`/service-accounts/${disabled.id}`, { status: 'disabled' })).status, 200);
  });

  after(() => harness?.close());

  /** Loads a panel path as a new document and checks it for CSP violations and errors. */
  async function load(path: string, heading: string | RegExp): Promise<void> {
    const { page, server } = harness;
    const response = await page.goto(`${server.baseUrl}${path}`);
    assert.equal(response?.status(), 200, path);
    assert.equal(response?.headers()['content-security-policy'], PANEL_CSP);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    await settle(harness);
  }

  async function assertClean(what: string): Promise<void> {
    assert.deepEqual(await cspViolations(harness.page), [], `CSP violations on ${what}`);
    assert.deepEqual(harness.errors, [], `errors on ${what}`);
    assert.deepEqual(harness.foreignRequests, [], `requests to other origins on ${what}`);
  }

  it('sign-in page loads cleanly', async () => {
    await load('/sign-in', 'Sign in');
    await assertClean('the sign-in page');
    await screenshot(harness.page, 'sign-in');
  });

  it('accounts list loads cleanly', async () => {
    await signIn(harness);
    await load('/service-accounts', 'Service accounts');
    await waitForTable(harness.page);
    assert.equal(await harness.page.locator('tbody tr').count(), 3);
    await assertClean('the account list');
    await screenshot(harness.page, 'accounts-list');
  });

  it('create form loads cleanly', async () => {
    const { page } = harness;
    await load('/service-accounts/new', 'Create service account');
    await page.locator('#account-name').fill('ticket-triage');
    await page.getByLabel('Owner').fill('support');
    await page.getByLabel('Add access to').selectOption('jira');
    await page.getByRole('button', { name: 'Add access' }).click();
    await page.getByRole('checkbox', { name: 'WRITE', exact: true }).check();
    await page.getByRole('radio', { name: 'Only these ids' }).check();
    await page.getByLabel('project ids').fill('SUP');
    await assertClean('the create form');
    await screenshot(page, 'create-account');

    await page.getByRole('button', { name: 'Create service account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Service account ticket-triage created' }).waitFor();
    await assertClean('the secret result page');
    await screenshot(page, 'secret-result');
  });

  it('account tabs load cleanly', async () => {
    const { page } = harness;
    const tabs: [string, string][] = [
      ['', 'overview'],
      ['/access', 'access'],
      ['/credentials', 'credentials'],
      ['/activity', 'activity'],
    ];
    for (const [suffix, name] of tabs) {
      await load(`/service-accounts/${accountId}${suffix}`, /nightly-export/);
      assert.equal(await page.getByRole('tab', { selected: true }).textContent(), name[0].toUpperCase() + name.slice(1));
      await assertClean(`the ${name} tab`);
      if (name === 'credentials') await screenshot(page, 'account-credentials');
      if (name === 'activity') await screenshot(page, 'account-activity');
    }
  });

  it('activity chart shows token requests', async () => {
    const { page } = harness;
    const chart = page.getByRole('img', { name: /Token requests per day/ });
    await chart.waitFor();
    assert.equal(await chart.locator('desc').textContent(), '30 days: 3 tokens issued and 1 request refused.');
    assert.equal(await chart.locator('rect.chart-issued').count(), 1);
    assert.equal(await chart.locator('rect.chart-refused').count(), 1);
    await page.locator('tr[data-event-action="token.issued"]').first().waitFor();
    await page.locator('tr[data-event-action="account.created"]').waitFor();
  });

  it('tabs follow the arrow keys', async () => {
    const { page } = harness;
    await page.getByRole('tab', { name: 'Activity' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForURL((url) => url.pathname === `/service-accounts/${accountId}`);
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Overview');
    await page.keyboard.press('End');
    await page.waitForURL((url) => url.pathname.endsWith('/activity'));
  });

  it('audit log loads cleanly', async () => {
    const { page } = harness;
    await load('/audit', 'Audit log');
    await waitForTable(page);
    await page.locator('tr[data-event-action="account.disabled"]').getByRole('button').click();
    await assertClean('the audit log');
    await screenshot(page, 'audit-log');

    const csv = page.getByRole('link', { name: 'Export CSV' });
    assert.equal(await csv.getAttribute('href'), '/api/v1/audit-events/export?format=csv');
    await page.getByLabel('Action').fill('credential.*');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL((url) => url.searchParams.get('action') === 'credential.*');
    const href = (await csv.getAttribute('href')) ?? '';
    assert.equal(href, '/api/v1/audit-events/export?action=credential.*&format=csv');
    const exported = await page.evaluate(async (url) => {
      const response = await fetch(url);
      return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
    }, href);
    assert.equal(exported.status, 200);
    assert.equal(exported.type, 'text/csv; charset=utf-8');
    const rows = exported.text.trim().split('\r\n');
    assert.match(rows[0], /^id,occurredAt,/);
    assert.equal(rows.length - 1, await page.locator('tr[data-event-action]').count());
  });

  it('instance pages load cleanly', async () => {
    await load('/instances', 'Product instances');
    await waitForTable(harness.page);
    await assertClean('the instance list');
    await screenshot(harness.page, 'instances');

    await load('/instances/new', 'Add instance');
    await load('/instances/jira/edit', 'Edit instance');
    assert.equal(await harness.page.getByLabel('Audience').inputValue(), 'https://jira.example.com');
    await load('/no-such-page', 'Page not found');
    await assertClean('the instance forms and the not-found page');
  });

  it('policy pages load cleanly', async () => {
    await load('/policy', 'Policy');
    await harness.page.getByRole('form', { name: 'Organisation policy' }).waitFor();
    await assertClean('the policy page');

    await load('/policy/noncompliant', 'Non-compliant');
    await harness.page.getByRole('heading', { level: 2, name: /^Credentials/ }).waitFor();
    await assertClean('the non-compliant list');
  });

  it('pages fit 1024 pixels wide', async () => {
    const { page } = harness;
    await page.setViewportSize({ width: 1024, height: 800 });
    const pages: [string, string | RegExp][] = [
      ['/service-accounts', 'Service accounts'],
      ['/service-accounts/new', 'Create service account'],
      [`/service-accounts/${accountId}/credentials`, /nightly-export/],
      [`/service-accounts/${accountId}/activity`, /nightly-export/],
      ['/audit', 'Audit log'],
      ['/instances', 'Product instances'],
      ['/policy', 'Policy'],
      ['/policy/noncompliant', 'Non-compliant'],
    ];
    for (const [path, heading] of pages) {
      await load(path, heading);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 1024, `${path} is ${width} pixels wide`);
      if (path.endsWith('/activity')) await screenshot(page, 'account-activity-1024');
    }
    await assertClean('the pages at 1024 pixels');
  });
});
