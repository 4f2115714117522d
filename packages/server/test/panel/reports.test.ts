import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runNotificationCycle } from '../../src/notify/service.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/receivers.js';
import { createAccount, queryDatabase } from '../support/server.js';
import { type PanelHarness, openPanel, screenshot, signIn, waitForTable } from './browser.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('panel expiring and unused page', () => {
  let harness: PanelHarness;
  let webhooks: WebhookReceiver;

  before(async () => {
    webhooks = await startWebhookReceiver();
    harness = await openPanel();
    const { server } = harness;

    const now = server.clock.now();
    server.clock.set(now - 100 * DAY_MS);
    await createAccount(server, { name: 'old-job', owner: 'ops-team', credential: { expiresInDays: 3650 } });
    server.clock.set(now);
    await server.admin.signIn();
    const rotating = await createAccount(server, { name: 'rotating-job', credential: { expiresInDays: 5 } });
    await createAccount(server, { name: 'yearly-job', credential: { expiresInDays: 20 } });

    // The receiver fails the first attempt; the delivery is then marked failed, as if every retry had failed too.
    await queryDatabase(server, `UPDATE service_accounts SET contacts = '[{"type":"webhook","url":"${webhooks.url}/hook"}]' WHERE id = '${rotating.id}'`);
    webhooks.respondWith('/hook', 500);
    await runNotificationCycle(server.tessera.context);
    await queryDatabase(server, `UPDATE notification_deliveries SET status = 'failed', next_attempt_at = NULL`);

    await signIn(harness);
  });

  after(async () => {
    await harness?.close();
    await webhooks?.close();
  });

  it('shows expiring credentials and unused accounts', async () => {
    const { page } = harness;
    await page.getByRole('link', { name: 'Expiring and unused' }).click();
    await page.waitForURL((url) => url.pathname === '/reports');
    await waitForTable(page);

    const expiring = page.locator('section[aria-labelledby="report-expiring"]');
    assert.deepEqual(await expiring.locator('tbody tr td:first-child a').allTextContents(), ['rotating-job', 'yearly-job']);
    assert.deepEqual(await expiring.locator('tbody tr td:nth-child(4)').allTextContents(), ['5', '20']);

    await page.getByLabel('Expiring within').selectOption('7');
    await expiring.locator('tbody tr').nth(1).waitFor({ state: 'detached' });
    assert.deepEqual(await expiring.locator('tbody tr td:first-child a').allTextContents(), ['rotating-job']);

    const unused = page.locator('section[aria-labelledby="report-unused"]');
    assert.deepEqual(await unused.locator('tbody tr td:first-child a').allTextContents(), ['old-job']);
    assert.deepEqual(await unused.locator('tbody tr td:nth-child(4)').allTextContents(), ['Never']);
    assert.deepEqual(await unused.locator('tbody tr td:nth-child(5)').allTextContents(), ['100 days']);
    assert.deepEqual(harness.errors, []);
  });

  it('retries a failed notification', async () => {
    const { page } = harness;
    const history = page.locator('section[aria-labelledby="report-deliveries"]');
    const row = history.locator('tbody tr').first();
    assert.equal(await row.locator('td:nth-child(2)').textContent(), 'credential.expiring');
    assert.equal(await row.locator('td:nth-child(3)').textContent(), 'rotating-job');
    assert.equal(await row.locator('td:nth-child(5)').textContent(), 'Failed');
    assert.equal(await row.locator('td:nth-child(6)').textContent(), '1');
    assert.equal(await row.locator('td:nth-child(7)').textContent(), 'the receiver answered 500 (HTTP 500)');

    await row.getByRole('button', { name: 'Retry' }).click();
    await history.getByText(`Delivered to ${webhooks.url}/hook.`).waitFor();
    await row.locator('td:nth-child(5)', { hasText: 'Delivered' }).waitFor();
    assert.equal(await row.locator('td:nth-child(6)').textContent(), '2');
    assert.equal(webhooks.on('/hook').length, 2);
    await screenshot(page, 'reports');
    assert.deepEqual(harness.errors, []);
    assert.deepEqual(harness.foreignRequests, []);
  });

  it('fits 1024 pixels wide', async () => {
    const { page } = harness;
    await page.setViewportSize({ width: 1024, height: 800 });
    await page.reload();
    await waitForTable(page);

    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 1024, `the page is ${width} pixels wide`);
    await screenshot(page, 'reports-1024');
  });
});
