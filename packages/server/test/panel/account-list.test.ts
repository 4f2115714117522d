import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAccount, ensureInstance, requestToken } from '../support/server.js';
import { type PanelHarness, openPanel, signIn, waitForTable } from './browser.js';

const ACCOUNT_COUNT = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

describe('panel account list', () => {
  let harness: PanelHarness;
  const secrets = new Map<string, { clientId: string; clientSecret: string }>();

  before(async () => {
    harness = await openPanel();
    const { server } = harness;
    await ensureInstance(server, 'jira', 'jira', 'https://jira.example.com');
    await ensureInstance(server, 'wiki', 'confluence', 'https://wiki.example.com');

    // The accounts are created 100 days ago, so that all but the one used since are unused for 90 days.
    const now = server.clock.now();
    server.clock.set(now - 100 * DAY_MS);
    for (let index = 1; index <= ACCOUNT_COUNT; index += 1) {
      const name = `job-${String(index).padStart(2, '0')}`;
      const instance = index % 3 === 0 ? 'wiki' : 'jira';
      const created = await createAccount(server, {
        name,
        owner: index % 2 === 0 ? 'data-team' : 'ops-team',
        access: [{ instance, scopes: ['READ'] }],
        credential: { expiresInDays: index === 7 ? 110 : 365 },
      });
      secrets.set(name, created);
    }
    server.clock.set(now);
    const token = await requestToken(server, secrets.get('job-05')!);
    assert.equal(token.status, 200, token.text);
    await signIn(harness);
  });

  after(() => harness?.close());

  async function names(): Promise<string[]> {
    await waitForTable(harness.page);
    return harness.page.locator('tbody tr td:first-child a').allTextContents();
  }

  async function summary(): Promise<string> {
    return (await harness.page.locator('.pager-summary').textContent()) ?? '';
  }

  it('pages through accounts with a total', async () => {
    const { page } = harness;
    await page.getByRole('combobox', { name: 'Per page' }).selectOption('25');
    await page.waitForURL((url) => url.searchParams.get('limit') === '25');
    assert.equal((await names()).length, 25);
    assert.equal(await summary(), `Showing 1–25 of ${ACCOUNT_COUNT}`);

    await page.getByRole('button', { name: 'Next' }).click();
    assert.deepEqual(await names(), ['job-26', 'job-27', 'job-28', 'job-29', 'job-30']);
    assert.equal(await summary(), `Showing 26–30 of ${ACCOUNT_COUNT}`);
    assert.equal(await page.getByRole('button', { name: 'Next' }).isDisabled(), true);

    await page.getByRole('button', { name: 'Previous' }).click();
    assert.equal((await names())[0], 'job-01');
  });

  it('sorts by name both ways', async () => {
    const { page } = harness;
    const header = page.getByRole('columnheader', { name: /Name/ });
    assert.equal(await header.getAttribute('aria-sort'), 'ascending');
    await header.getByRole('button').click();
    await page.waitForURL((url) => url.searchParams.get('sort') === '-name');
    assert.equal((await names())[0], 'job-30');
    assert.equal(await header.getAttribute('aria-sort'), 'descending');

    await header.getByRole('button').click();
    await page.waitForURL((url) => !url.searchParams.has('sort'));
    assert.equal((await names())[0], 'job-01');
  });

  it('filters by owner, instance and search', async () => {
    const { page, server } = harness;
    await page.goto(`${server.baseUrl}/service-accounts`);
    await page.getByLabel('Owner').fill('data-team');
    await page.waitForURL((url) => url.searchParams.get('owner') === 'data-team');
    const dataTeam = await names();
    assert.equal(dataTeam.length, 15);
    assert.ok(dataTeam.every((name) => Number(name.slice(4)) % 2 === 0), dataTeam.join(', '));

    await page.getByLabel('Instance').selectOption('wiki');
    await page.waitForURL((url) => url.searchParams.get('instance') === 'wiki');
    assert.deepEqual(await names(), ['job-06', 'job-12', 'job-18', 'job-24', 'job-30']);

    await page.getByLabel('Search').fill('job-1');
    await page.waitForURL((url) => url.searchParams.get('search') === 'job-1');
    assert.deepEqual(await names(), ['job-12', 'job-18']);
    assert.equal(await summary(), 'Showing 1–2 of 2');
  });

  it('expiring and unused filters match the API', async () => {
    const { page, server } = harness;
    await page.goto(`${server.baseUrl}/service-accounts`);
    await page.getByLabel('Expiring in 30 days').check();
    await page.waitForURL((url) => url.searchParams.get('expiring') === '1');
    assert.deepEqual(await names(), ['job-07']);
    const expiry = page.locator('tbody tr').first().locator('td').nth(4);
    assert.match((await expiry.textContent()) ?? '', / \(in 10 days\)$/);
    await page.getByLabel('Expiring in 30 days').uncheck();

    // NOTE: the server's unusedForDays filter reads last-used times from the database, which
    // receives them every TESSERA_LAST_USED_FLUSH_MS (5 s by default), so wait for that write.
    const deadline = Date.now() + 15_000;
    while ((await server.admin.get('/service-accounts?unusedForDays=90&search=job-05')).body.items.length > 0) {
      assert.ok(Date.now() < deadline, 'job-05 still counts as unused 15 s after its token request');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    await page.getByLabel('Unused for 90 days').check();
    await page.waitForURL((url) => url.searchParams.get('unused') === '1');
    const shown = await names();
    assert.equal(shown.length, ACCOUNT_COUNT - 1);
    assert.ok(!shown.includes('job-05'));
    const expected = await server.admin.get('/service-accounts?unusedForDays=90&limit=50');
    assert.equal(expected.status, 200, expected.text);
    assert.deepEqual(shown, expected.body.items.map((item: any) => item.name));
  });

  it('last used shows relative time with full timestamp', async () => {
    const { page, server } = harness;
    const created = await createAccount(server, { name: 'recently-used', access: [{ instance: 'jira', scopes: ['READ'] }] });
    assert.equal((await requestToken(server, created)).status, 200);

    await page.goto(`${server.baseUrl}/service-accounts?search=recently-used`);
    await waitForTable(page);
    const lastUsed = page.locator('tbody tr').first().locator('td').nth(5).locator('time');
    assert.equal(await lastUsed.textContent(), 'just now');
    const title = (await lastUsed.getAttribute('title')) ?? '';
    assert.match(title, /^\w{3}, \w{3} \d{1,2}, \d{4}, \d{2}:\d{2}:\d{2} (AM|PM) GMT\+[12]$/);
    assert.ok(await lastUsed.getAttribute('datetime'));
  });

  it('no match offers to clear the filters', async () => {
    const { page, server } = harness;
    await page.goto(`${server.baseUrl}/service-accounts?search=no-such-account`);
    await page.getByRole('heading', { name: 'No service accounts match these filters' }).waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.waitForURL((url) => url.search === '');
    assert.equal((await names()).length, ACCOUNT_COUNT + 1);
    assert.deepEqual(harness.errors, []);
  });
});
