import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runNotificationCycle } from '../src/notify/service.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/receivers.js';
import { type CreatedAccount, type TestServer, createAccount, ensureInstance, introspect, queryDatabase, requestToken, startTestServer } from './support/server.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('dormant accounts', () => {
  let server: TestServer;
  let webhooks: WebhookReceiver;
  // An account that requests a token before every cycle, so it never goes dormant, and introspects the others' tokens.
  let busy: CreatedAccount;
  let counter = 0;

  before(async () => {
    webhooks = await startWebhookReceiver();
    server = await startTestServer({ config: { notificationIntervalMs: 3_600_000, lastUsedFlushIntervalMs: 3_600_000 } });
    await ensureInstance(server, 'jira');
    busy = await createAccount(server, { name: 'busy', access: [{ instance: 'jira', scopes: ['READ'] }], credential: { expiresInDays: 3650 } });
  });

  after(async () => {
    await server.close();
    await webhooks.close();
  });

  async function setDormancy(afterDays: number, action: 'flag' | 'disable', warnDaysBefore: number): Promise<void> {
    const document = JSON.stringify({ dormancy: { afterDays, action, warnDaysBefore } });
    await queryDatabase(server, `DELETE FROM policies`);
    await queryDatabase(server, `INSERT INTO policies (id, document, updated_at) VALUES ('organisation', '${document}', 0)`);
    server.tessera.context.policies.invalidate();
  }

  async function idleAccount(): Promise<{ account: CreatedAccount; path: string }> {
    counter += 1;
    await server.admin.signIn();
    const account = await createAccount(server, { name: `idle-${counter}`, access: [{ instance: 'jira', scopes: ['READ'] }], credential: { expiresInDays: 3650 } });
    const path = `/dormant/${counter}`;
    await queryDatabase(server, `UPDATE service_accounts SET contacts = '[{"type":"webhook","url":"${webhooks.url}${path}"}]' WHERE id = '${account.id}'`);
    return { account, path };
  }

  /** Moves the clock, lets the busy account request a token, and runs one notification cycle. */
  async function cycleAt(time: number): Promise<void> {
    server.clock.set(time);
    assert.equal((await requestToken(server, busy)).status, 200);
    await runNotificationCycle(server.tessera.context);
  }

  async function accountRow(id: string): Promise<{ status: string; dormant_since: number | null; token_generation: number }> {
    const [row] = await queryDatabase<any>(server, `SELECT status, dormant_since, token_generation FROM service_accounts WHERE id = '${id}'`);
    return { status: row.status, dormant_since: row.dormant_since === null ? null : Number(row.dormant_since), token_generation: Number(row.token_generation) };
  }

  async function auditActions(accountId: string): Promise<string[]> {
    await server.admin.signIn();
    const result = await server.admin.get(`/audit-events?target=${accountId}`);
    assert.equal(result.status, 200, result.text);
    return result.body.items.map((event: any) => event.action).filter((action: string) => action.startsWith('account.dormant'));
  }

  it('warns, then disables and revokes tokens', async () => {
    await setDormancy(30, 'disable', 7);
    const { account, path } = await idleAccount();
    const start = server.clock.now();

    await cycleAt(start + 22 * DAY_MS);
    assert.equal(webhooks.on(path).length, 0);

    await cycleAt(start + 23 * DAY_MS);
    await cycleAt(start + 23 * DAY_MS + 60_000);
    const [warning] = webhooks.on(path);
    assert.equal(webhooks.on(path).length, 1);
    assert.equal(warning.json.type, 'account.dormant_warning');
    assert.deepEqual(warning.json.dormancy, {
      afterDays: 30,
      action: 'disable',
      idleSince: new Date(start).toISOString(),
      dormantAt: new Date(start + 30 * DAY_MS).toISOString(),
      daysLeft: 7,
    });
    assert.deepEqual(await accountRow(account.id), { status: 'active', dormant_since: null, token_generation: 0 });

    // A token issued just before the rule applies, with the last use set back so the account still counts as idle.
    server.clock.set(start + 30 * DAY_MS - 60_000);
    const issued = await requestToken(server, account);
    assert.equal(issued.status, 200);
    await server.tessera.context.lastUsed.flush();
    await queryDatabase(server, `UPDATE service_accounts SET last_used_at = NULL WHERE id = '${account.id}'`);
    assert.equal((await introspect(server, busy, issued.body.access_token)).body.active, true);

    await cycleAt(start + 30 * DAY_MS);
    assert.deepEqual(await accountRow(account.id), { status: 'disabled', dormant_since: start + 30 * DAY_MS, token_generation: 1 });
    assert.deepEqual((await introspect(server, busy, issued.body.access_token)).body, { active: false });
    assert.equal((await requestToken(server, account)).status, 401);
    const feed = await queryDatabase<any>(server, `SELECT kind, generation FROM revocations WHERE account_id = '${account.id}'`);
    assert.deepEqual(feed.map((row) => [row.kind, Number(row.generation)]), [['account', 1]]);
    assert.deepEqual(await auditActions(account.id), ['account.dormant_disabled']);
    assert.deepEqual(
      webhooks.on(path).map((request) => request.json.type),
      ['account.dormant_warning', 'account.dormant'],
    );
    assert.equal(webhooks.on(path)[1].json.dormancy.dormantSince, new Date(start + 30 * DAY_MS).toISOString());

    await cycleAt(start + 31 * DAY_MS);
    assert.equal(webhooks.on(path).length, 2);
    assert.deepEqual(await auditActions(account.id), ['account.dormant_disabled']);
  });

  it('flags, then clears the flag after use', async () => {
    await setDormancy(10, 'flag', 2);
    const { account, path } = await idleAccount();
    const start = server.clock.now();

    await cycleAt(start + 8 * DAY_MS);
    await cycleAt(start + 10 * DAY_MS);
    assert.deepEqual(await accountRow(account.id), { status: 'active', dormant_since: start + 10 * DAY_MS, token_generation: 0 });
    assert.deepEqual(
      webhooks.on(path).map((request) => request.json.type),
      ['account.dormant_warning', 'account.dormant'],
    );

    server.clock.advance(DAY_MS);
    assert.equal((await requestToken(server, account)).status, 200);
    await cycleAt(server.clock.now() + 1000);
    assert.deepEqual(await accountRow(account.id), { status: 'active', dormant_since: null, token_generation: 0 });
    assert.deepEqual(await auditActions(account.id), ['account.dormant_cleared', 'account.dormant_flagged']);
  });

  it('leaves a used account alone', async () => {
    await setDormancy(10, 'disable', 2);
    const start = server.clock.now();

    for (let day = 1; day <= 25; day += 3) await cycleAt(start + day * DAY_MS);

    assert.deepEqual(await accountRow(busy.id), { status: 'active', dormant_since: null, token_generation: 0 });
    assert.deepEqual(await auditActions(busy.id), []);
  });

  it('gives the full warning period when the rule starts late', async () => {
    await setDormancy(3650, 'flag', 7);
    const { account, path } = await idleAccount();
    const start = server.clock.now();
    await cycleAt(start + 60 * DAY_MS);

    await setDormancy(30, 'flag', 7);
    await cycleAt(start + 61 * DAY_MS);
    assert.deepEqual(webhooks.on(path).map((request) => request.json.type), ['account.dormant_warning']);
    assert.equal((await accountRow(account.id)).dormant_since, null);

    await cycleAt(start + 68 * DAY_MS - 60_000);
    assert.equal((await accountRow(account.id)).dormant_since, null);

    await cycleAt(start + 68 * DAY_MS);
    assert.equal((await accountRow(account.id)).dormant_since, start + 68 * DAY_MS);
    assert.deepEqual(webhooks.on(path).map((request) => request.json.type), ['account.dormant_warning', 'account.dormant']);
  });
});
