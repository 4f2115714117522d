import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { basicAuth, createAccount, ensureInstance, requestToken } from '../support/server.js';
import { type PanelHarness, cspViolations, jwtClaims, openPanel, screenshot, signIn, waitForTable } from './browser.js';

const CSV_FIXTURE = fileURLToPath(new URL('../fixtures/human-accounts.csv', import.meta.url));

describe('panel seats and migration', () => {
  let harness: PanelHarness;

  before(async () => {
    harness = await openPanel();
    const { server } = harness;
    await ensureInstance(server, 'jira', 'jira', 'https://jira.example.com');
    await ensureInstance(server, 'wiki', 'confluence', 'https://wiki.example.com');
    await ensureInstance(server, 'bitbucket', 'bitbucket', 'https://git.example.com');
    await ensureInstance(server, 'bamboo', 'bamboo', 'https://bamboo.example.com');
    const product = await createAccount(server, { name: 'jira-itself', access: [{ instance: 'jira', scopes: ['READ'] }] });
    const reported = await fetch(`${server.baseUrl}/guard/v1/seats`, {
      method: 'POST',
      headers: { authorization: basicAuth(product.clientId, product.clientSecret), 'content-type': 'application/json' },
      body: JSON.stringify({ licensedUsers: 250, activeUsers: 180 }),
    });
    assert.equal(reported.status, 200);
    await signIn(harness, '/seats');
  });

  after(() => harness?.close());

  async function tableRows(testId: string): Promise<string[][]> {
    return harness.page.getByTestId(testId).locator('tbody tr').evaluateAll((rows) => rows.map((row) => Array.from(row.querySelectorAll('td')).map((cell) => (cell.textContent ?? '').trim())));
  }

  it('shows seats per instance', async () => {
    const { page } = harness;
    await page.getByRole('heading', { level: 1, name: 'Seats' }).waitFor();
    await waitForTable(page);
    const rows = await tableRows('seat-table');

    assert.deepEqual(
      rows.map((cells) => [cells[0], cells[1], cells[4], cells[5]]),
      [
        ['BAMBOO bamboo', 'Not reported', '0 (0 active, 0 disabled)', '0'],
        ['BITBUCKET bitbucket', 'Not reported', '0 (0 active, 0 disabled)', '0'],
        ['JIRA jira', '250', '1 (1 active, 0 disabled)', '0'],
        ['WIKI wiki', 'Not reported', '0 (0 active, 0 disabled)', '0'],
      ],
    );
    assert.match(rows[2][3], /^By the product \(jira-itself\), /);
    await screenshot(page, 'seats');
  });

  it('lets an admin set a count', async () => {
    const { page } = harness;
    await page.getByLabel('Instance').selectOption('wiki');
    await page.getByLabel('Licensed users').fill('90');
    await page.getByRole('button', { name: 'Save count' }).click();
    await page.getByText('Saved the licensed-user count of wiki.').waitFor();
    await page.getByTestId('seat-table').getByText('By an admin (admin)', { exact: false }).waitFor();
    const rows = await tableRows('seat-table');

    assert.equal(rows[3][1], '90');
    assert.match(rows[3][3], /^By an admin \(admin\), /);
  });

  it('lists the problems of a bad export', async () => {
    const { page } = harness;
    await page.getByRole('link', { name: 'Migration' }).click();
    await page.getByRole('heading', { level: 1, name: 'Migration' }).waitFor();
    await page.getByLabel('Upload an export of human accounts').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('name,email,groups,instance,resourceType,resourceId,permission\nbot,not-an-email,,jira,project,ABC,read\n') });

    const errors = page.getByTestId('import-errors');
    await errors.waitFor();
    assert.deepEqual(await errors.locator('li').allTextContents(), ['line 2, email: email "not-an-email" is not an email address such as jenkins@example.com.']);
  });

  it('reviews and accepts proposals', async () => {
    const { page, server } = harness;
    await page.getByLabel('Upload an export of human accounts').setInputFiles(CSV_FIXTURE);
    await page.getByRole('heading', { level: 1, name: 'Review proposals' }).waitFor();
    await page.getByTestId('proposal-table').waitFor();
    assert.equal(await page.getByTestId('proposal-table').locator('tbody tr').count(), 50);

    const row = page.getByTestId('proposal-table').locator('tbody tr', { hasText: 'svc-sync-writer-01' });
    assert.match((await row.textContent()) ?? '', /jira: WRITE; project DEF, SEC/);
    await page.getByRole('button', { name: 'Accept svc-sync-writer-01' }).click();
    await page.getByRole('heading', { name: 'Service account svc-sync-writer-01 created' }).waitFor();

    const clientId = (await page.getByTestId('client-id').textContent()) ?? '';
    const clientSecret = (await page.getByTestId('client-secret').textContent()) ?? '';
    const token = await requestToken(server, { clientId, clientSecret });
    assert.equal(token.status, 200, token.text);
    assert.deepEqual(jwtClaims(token.body.access_token).resources, { project: ['DEF', 'SEC'] });
    await row.getByText('Accepted', { exact: true }).waitFor();
    await screenshot(page, 'migration-review');
  });

  it('shows why a proposal cannot be accepted', async () => {
    const { page } = harness;
    await page.getByRole('button', { name: 'Accept svc-jira-admin-bot' }).click();

    await page.getByRole('alert').filter({ hasText: 'is an admin-level scope' }).waitFor();
    await page.getByRole('button', { name: 'Reject svc-jira-admin-bot' }).click();
    await page.getByTestId('proposal-table').locator('tbody tr', { hasText: 'svc-jira-admin-bot' }).getByText('Rejected', { exact: true }).waitFor();
    await page.getByText('48 pending, 1 accepted, 1 rejected').waitFor();
  });

  it('downloads the manifest', async () => {
    const { page } = harness;
    await page.getByRole('link', { name: 'Migration' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Migration' }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download manifest' }).click()]);
    const manifest = JSON.parse(readFileSync((await download.path())!, 'utf8'));

    assert.equal(download.suggestedFilename(), 'tessera-manifest.json');
    assert.equal(manifest.manifestVersion, 1);
    assert.deepEqual(manifest.accounts.map((account: any) => account.name), ['jira-itself', 'svc-sync-writer-01']);
  });

  it('stays free of errors', async () => {
    // Chromium logs every 4xx response; the two here are the rejected upload and the refused accept.
    const refused = 'console: Failed to load resource: the server responded with a status of 400 (Bad Request)';
    assert.deepEqual(await cspViolations(harness.page), []);
    assert.deepEqual(harness.errors, [refused, refused]);
    assert.deepEqual(harness.foreignRequests, []);
  });
});
