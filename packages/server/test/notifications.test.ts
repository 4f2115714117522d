import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runNotificationCycle } from '../src/notify/service.js';
import { assertProblem } from './support/problem.js';
import { closedPort, type MailReceiver, startMailReceiver, startWebhookReceiver, verifySignature, type WebhookReceiver } from './support/receivers.js';
import { type CreatedAccount, type TestServer, createAccount, queryDatabase, startTestServer } from './support/server.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('expiry notifications', () => {
  let server: TestServer;
  let webhooks: WebhookReceiver;
  let mail: MailReceiver;
  let counter = 0;

  before(async () => {
    webhooks = await startWebhookReceiver();
    mail = await startMailReceiver();
    server = await startTestServer({
      config: { smtpUrl: `smtp://127.0.0.1:${mail.port}`, smtpFrom: 'tessera@example.test', notificationIntervalMs: 3_600_000, lastUsedFlushIntervalMs: 3_600_000 },
    });
  });

  after(async () => {
    await server.close();
    await webhooks.close();
    await mail.close();
  });

  /** Creates an account whose contacts are one webhook path on the receiver and one email address. */
  async function accountWithContacts(expiresInDays: number, contacts?: unknown[]): Promise<{ account: CreatedAccount; path: string; address: string; expiresAt: number }> {
    counter += 1;
    await server.admin.signIn();
    const account = await createAccount(server, { name: `notified-${counter}`, owner: 'ops', credential: { expiresInDays } });
    const path = `/hooks/${counter}`;
    const address = `team-${counter}@example.test`;
    const list = contacts ?? [
      { type: 'webhook', url: `${webhooks.url}${path}` },
      { type: 'email', address },
    ];
    await queryDatabase(server, `UPDATE service_accounts SET contacts = '${JSON.stringify(list)}' WHERE id = '${account.id}'`);
    return { account, path, address, expiresAt: Date.parse(account.body.credential.expiresAt) };
  }

  async function cycleAt(time: number): Promise<void> {
    server.clock.set(time);
    await runNotificationCycle(server.tessera.context);
  }

  async function deliveriesOf(accountId: string): Promise<any[]> {
    await server.admin.signIn();
    const result = await server.admin.get(`/service-accounts/${accountId}/notifications`);
    assert.equal(result.status, 200, result.text);
    return result.body.items;
  }

  it('sends one notice per lead time and contact', async () => {
    const { account, path, address, expiresAt } = await accountWithContacts(40);

    await cycleAt(expiresAt - 31 * DAY_MS);
    assert.equal(webhooks.on(path).length, 0);
    assert.equal(mail.to(address).length, 0);

    await cycleAt(expiresAt - 30 * DAY_MS);
    assert.equal(webhooks.on(path).length, 1);
    assert.equal(mail.to(address).length, 1);

    await cycleAt(expiresAt - 30 * DAY_MS + 60_000);
    assert.equal(webhooks.on(path).length, 1);
    assert.equal(mail.to(address).length, 1);

    await cycleAt(expiresAt - 7 * DAY_MS);
    assert.equal(webhooks.on(path).length, 2);
    assert.equal(mail.to(address).length, 2);

    await cycleAt(expiresAt - 1 * DAY_MS);
    await cycleAt(expiresAt + 60_000);
    const events = webhooks.on(path).map((request) => [request.json.type, request.json.credential.leadDays ?? null, request.json.credential.daysLeft]);
    assert.deepEqual(events, [
      ['credential.expiring', 30, 30],
      ['credential.expiring', 7, 7],
      ['credential.expiring', 1, 1],
      ['credential.expired', null, 0],
    ]);
    assert.equal(mail.to(address).length, 4);

    const deliveries = await deliveriesOf(account.id);
    assert.equal(deliveries.length, 8);
    assert.ok(deliveries.every((delivery) => delivery.status === 'delivered' && delivery.attempts === 1));
  });

  it('webhook payload and signature verify', async () => {
    const { account, path, expiresAt } = await accountWithContacts(10);
    await cycleAt(expiresAt - 7 * DAY_MS);
    const [request] = webhooks.on(path);

    await server.admin.signIn();
    const secret = await server.admin.get('/notifications/signing-secret');
    assert.equal(secret.status, 200);
    assert.equal(secret.headers.get('cache-control'), 'no-store');
    assert.equal(secret.body.source, 'derived');
    assert.match(secret.body.secret, /^whsec_[A-Za-z0-9_-]{43}$/);

    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['tessera-event'], 'credential.expiring');
    assert.equal(request.headers['tessera-delivery'], request.json.id);
    assert.equal(verifySignature(request.headers['tessera-signature'] as string, request.body, secret.body.secret, Math.floor(server.clock.now() / 1000)), true);
    assert.equal(verifySignature(request.headers['tessera-signature'] as string, `${request.body} `, secret.body.secret, Math.floor(server.clock.now() / 1000)), false);
    assert.equal(verifySignature(request.headers['tessera-signature'] as string, request.body, secret.body.secret, Math.floor(server.clock.now() / 1000) + 3600), false);

    assert.deepEqual(request.json, {
      id: request.json.id,
      type: 'credential.expiring',
      createdAt: new Date(expiresAt - 7 * DAY_MS).toISOString(),
      account: { id: account.id, name: account.body.name, clientId: account.clientId, owner: 'ops', lastUsedAt: null, url: `${server.baseUrl}/service-accounts/${account.id}` },
      credential: { id: account.credentialId, type: 'secret', expiresAt: new Date(expiresAt).toISOString(), daysLeft: 7, leadDays: 7 },
    });

    const audit = await server.admin.get('/audit-events?action=notification.signing_secret_read');
    assert.equal(audit.body.items.length, 1);
    assert.equal(JSON.stringify(audit.body.items).includes(secret.body.secret), false);
  });

  it('email names the account and credential', async () => {
    const { account, address, expiresAt } = await accountWithContacts(3);
    await cycleAt(expiresAt - 2 * DAY_MS);
    const [message] = mail.to(address);

    assert.equal(message.from, 'tessera@example.test');
    const text = message.raw.replace(/=\r\n/g, '');
    assert.match(text, new RegExp(`Subject: \\[Tessera\\] A credential of ${account.body.name} expires in 2 days`));
    assert.ok(text.includes(`Credential: ${account.credentialId}`));
    assert.ok(text.includes(`Expires at: ${new Date(expiresAt).toISOString()}`));
    assert.ok(text.includes('Rotate the credential'));
    assert.ok(text.includes(`${server.baseUrl}/service-accounts/${account.id}`));
  });

  it('retries a failing webhook after the backoff', async () => {
    const { account, path, expiresAt } = await accountWithContacts(20, []);
    await queryDatabase(server, `UPDATE service_accounts SET contacts = '[{"type":"webhook","url":"${webhooks.url}${path}"}]' WHERE id = '${account.id}'`);
    webhooks.respondWith(path, 500);

    await cycleAt(expiresAt - 7 * DAY_MS);
    let [delivery] = await deliveriesOf(account.id);
    assert.equal(delivery.status, 'pending');
    assert.equal(delivery.attempts, 1);
    assert.equal(delivery.lastStatusCode, 500);
    assert.equal(delivery.lastError, 'the receiver answered 500');
    const retryAt = Date.parse(delivery.nextAttemptAt);
    assert.ok(retryAt >= server.clock.now() + 60_000, delivery.nextAttemptAt);
    assert.ok(retryAt <= server.clock.now() + 66_000, delivery.nextAttemptAt);

    await cycleAt(retryAt - 1000);
    assert.equal(webhooks.on(path).length, 1);

    await cycleAt(retryAt);
    [delivery] = await deliveriesOf(account.id);
    assert.equal(delivery.status, 'delivered');
    assert.equal(delivery.attempts, 2);
    assert.equal(delivery.lastError, null);
    assert.equal(delivery.lastStatusCode, 200);
    assert.equal(delivery.deliveredAt, new Date(retryAt).toISOString());
    const requests = webhooks.on(path);
    assert.equal(requests.length, 2);
    assert.equal(requests[1].json.id, requests[0].json.id);
  });

  it('gives up on an unreachable webhook', async () => {
    const port = await closedPort();
    const { account, expiresAt } = await accountWithContacts(20, [{ type: 'webhook', url: `http://127.0.0.1:${port}/hook` }]);

    await cycleAt(expiresAt - 7 * DAY_MS);
    let [delivery] = await deliveriesOf(account.id);
    while (delivery.status === 'pending') {
      await cycleAt(Date.parse(delivery.nextAttemptAt));
      [delivery] = await deliveriesOf(account.id);
    }

    assert.equal(delivery.status, 'failed');
    assert.equal(delivery.attempts, 6);
    assert.equal(delivery.lastError, 'the request failed: ECONNREFUSED');
    assert.equal(delivery.nextAttemptAt, null);
    const audit = await server.admin.get(`/audit-events?action=notification.failed&target=${delivery.id}`);
    assert.equal(audit.body.items.length, 1);
    assert.equal(audit.body.items[0].outcome, 'failure');
    assert.equal(audit.body.items[0].actor.type, 'system');

    const retried = await server.admin.post(`/notifications/deliveries/${delivery.id}/retry`);
    assert.equal(retried.status, 200, retried.text);
    assert.equal(retried.body.status, 'failed');
    assert.equal(retried.body.attempts, 7);
    const retryAudit = await server.admin.get(`/audit-events?action=notification.retried&target=${delivery.id}`);
    assert.equal(retryAudit.body.items.length, 1);
  });

  it('admin retry delivers a failed notice', async () => {
    const { account, path, expiresAt } = await accountWithContacts(20, []);
    await queryDatabase(server, `UPDATE service_accounts SET contacts = '[{"type":"webhook","url":"${webhooks.url}${path}"}]' WHERE id = '${account.id}'`);
    await cycleAt(expiresAt - 7 * DAY_MS);
    const [sent] = await deliveriesOf(account.id);
    // Marks the delivered notice failed, as if the receiver had been down for every attempt.
    await queryDatabase(server, `UPDATE notification_deliveries SET status = 'failed', next_attempt_at = NULL WHERE id = '${sent.id}'`);

    const retried = await server.admin.post(`/notifications/deliveries/${sent.id}/retry`);
    assert.equal(retried.status, 200, retried.text);
    assert.equal(retried.body.status, 'delivered');
    assert.equal(retried.body.attempts, 2);
    assert.equal(webhooks.on(path).length, 2);

    assertProblem(await server.admin.post(`/notifications/deliveries/${sent.id}/retry`), 409, 'delivery_not_failed');
    assertProblem(await server.admin.post('/notifications/deliveries/no-such-delivery/retry'), 404, 'not_found');
  });

  it('does not follow a redirect', async () => {
    const { account, path, expiresAt } = await accountWithContacts(20, []);
    await queryDatabase(server, `UPDATE service_accounts SET contacts = '[{"type":"webhook","url":"${webhooks.url}${path}"}]' WHERE id = '${account.id}'`);
    webhooks.respondWith(path, 302);

    await cycleAt(expiresAt - 7 * DAY_MS);
    const [delivery] = await deliveriesOf(account.id);

    assert.equal(webhooks.on(path).length, 1);
    assert.equal(delivery.status, 'pending');
    assert.equal(delivery.lastStatusCode, 302);
    assert.equal(delivery.lastError, 'the receiver answered 302 with a redirect, which is not followed; configure the final URL');
  });

  it('records an invalid webhook URL as failed', async () => {
    const { account, expiresAt } = await accountWithContacts(20, [{ type: 'webhook', url: 'ftp://127.0.0.1/hook' }, { type: 'webhook', url: 'not a url' }]);
    await cycleAt(expiresAt - 7 * DAY_MS);

    const deliveries = await deliveriesOf(account.id);
    assert.equal(deliveries.length, 2);
    for (const delivery of deliveries) {
      assert.equal(delivery.status, 'failed');
      assert.equal(delivery.attempts, 1);
      assert.equal(delivery.lastError, 'the webhook URL is not a valid http or https URL; correct the account contact');
    }
  });

  it('skips disabled accounts and rotated credentials', async () => {
    const disabled = await accountWithContacts(20);
    await server.admin.patch(`/service-accounts/${disabled.account.id}`, { status: 'disabled' });
    const rotated = await accountWithContacts(20);
    const rotation = await server.admin.post(`/service-accounts/${rotated.account.id}/credentials/${rotated.account.credentialId}/rotate`, { gracePeriodSeconds: 3600, expiresInDays: 365 });
    assert.equal(rotation.status, 201, rotation.text);

    await runNotificationCycle(server.tessera.context);
    server.clock.advance(2 * 3600_000);
    await runNotificationCycle(server.tessera.context);

    assert.equal(webhooks.on(disabled.path).length, 0);
    assert.equal(webhooks.on(rotated.path).length, 0);
  });
});

describe('email to an unreachable SMTP server', () => {
  let server: TestServer;

  before(async () => {
    const port = await closedPort();
    server = await startTestServer({ config: { smtpUrl: `smtp://mailer:pa55-word-secret@127.0.0.1:${port}`, smtpFrom: 'tessera@example.test', notificationIntervalMs: 3_600_000 } });
  });

  after(() => server.close());

  it('keeps the password out of the record', async () => {
    const account = await createAccount(server, { name: 'smtp-down', credential: { expiresInDays: 5 } });
    await queryDatabase(server, `UPDATE service_accounts SET contacts = '[{"type":"email","address":"ops@example.test"}]' WHERE id = '${account.id}'`);
    await runNotificationCycle(server.tessera.context);

    const result = await server.admin.get(`/service-accounts/${account.id}/notifications`);
    const [delivery] = result.body.items;
    assert.equal(delivery.status, 'pending');
    assert.equal(delivery.attempts, 1);
    assert.match(delivery.lastError, /^sending failed: E[A-Z]+$/);
    const [row] = await queryDatabase<any>(server, `SELECT * FROM notification_deliveries WHERE id = '${delivery.id}'`);
    assert.equal(JSON.stringify(row).includes('pa55-word-secret'), false);
  });
});

describe('notification scheduler', () => {
  let server: TestServer;
  let webhooks: WebhookReceiver;

  before(async () => {
    webhooks = await startWebhookReceiver();
    server = await startTestServer({ config: { notificationIntervalMs: 1000 } });
  });

  after(async () => {
    await server.close();
    await webhooks.close();
  });

  it('runs cycles on its interval', async () => {
    const account = await createAccount(server, { name: 'scheduled', credential: { expiresInDays: 5 } });
    await queryDatabase(server, `UPDATE service_accounts SET contacts = '[{"type":"webhook","url":"${webhooks.url}/scheduled"}]' WHERE id = '${account.id}'`);

    // Waits for at most five intervals of real time.
    for (let waited = 0; waited < 5000 && webhooks.on('/scheduled').length === 0; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    assert.equal(webhooks.on('/scheduled').length, 1);
    assert.equal(webhooks.on('/scheduled')[0].json.type, 'credential.expiring');
  });
});

describe('email without SMTP', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ config: { notificationIntervalMs: 3_600_000 } });
  });

  after(() => server.close());

  it('records the delivery as failed', async () => {
    const account = await createAccount(server, { name: 'no-smtp', credential: { expiresInDays: 5 } });
    await queryDatabase(server, `UPDATE service_accounts SET contacts = '[{"type":"email","address":"ops@example.test"}]' WHERE id = '${account.id}'`);
    await runNotificationCycle(server.tessera.context);

    const result = await server.admin.get('/notifications/deliveries?status=failed');
    assert.equal(result.status, 200);
    assert.equal(result.body.items.length, 1);
    assert.equal(result.body.items[0].accountName, 'no-smtp');
    assert.equal(result.body.items[0].channel, 'email');
    assert.equal(result.body.items[0].target, 'ops@example.test');
    assert.equal(result.body.items[0].eventType, 'credential.expiring');
    assert.equal(result.body.items[0].lastError, 'SMTP is not configured; set TESSERA_SMTP_URL');
    assert.equal(result.body.nextCursor, null);
  });
});
