import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runNotificationCycle } from '../src/notify/service.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/receivers.js';
import { type TestServer, createAccount, queryDatabase, startTestServer } from './support/server.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('notifications on two nodes', () => {
  let first: TestServer;
  let second: TestServer;
  let webhooks: WebhookReceiver;

  before(async () => {
    webhooks = await startWebhookReceiver();
    const config = { notificationIntervalMs: 3_600_000 };
    first = await startTestServer({ config });
    // The second node shares the first one's database and master key file.
    second = await startTestServer({ config, directory: first.directory });
  });

  after(async () => {
    await second.stop();
    await first.close();
    await webhooks.close();
  });

  it('sends each notice once', async () => {
    const account = await createAccount(first, { name: 'shared', credential: { expiresInDays: 40 } });
    const contacts = JSON.stringify([1, 2, 3].map((index) => ({ type: 'webhook', url: `${webhooks.url}/node-hook/${index}` })));
    await queryDatabase(first, `UPDATE service_accounts SET contacts = '${contacts}' WHERE id = '${account.id}'`);
    const expiresAt = Date.parse(account.body.credential.expiresAt);

    for (const lead of [30, 7, 1]) {
      first.clock.set(expiresAt - lead * DAY_MS);
      second.clock.set(expiresAt - lead * DAY_MS);
      await Promise.all([runNotificationCycle(first.tessera.context), runNotificationCycle(second.tessera.context), runNotificationCycle(first.tessera.context)]);
    }

    for (const index of [1, 2, 3]) {
      assert.deepEqual(
        webhooks.on(`/node-hook/${index}`).map((request) => request.json.credential.leadDays),
        [30, 7, 1],
      );
    }
    const [count] = await queryDatabase<any>(first, 'SELECT count(*) AS deliveries FROM notification_deliveries');
    assert.equal(Number(count.deliveries), 9);
  });
});
