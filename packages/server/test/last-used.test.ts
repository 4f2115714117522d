import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAccount, ensureInstance, queryDatabase, requestToken, startTestServer } from './support/server.js';

describe('last used', () => {
  it('shows use at once and persists it on stop', async () => {
    const server = await startTestServer({ config: { lastUsedFlushIntervalMs: 3_600_000 } });
    await ensureInstance(server, 'jira');
    const account = await createAccount(server, { name: 'usage', access: [{ instance: 'jira', scopes: ['READ'] }] });

    const before = await server.admin.get(`/service-accounts/${account.id}`);
    assert.equal(before.body.lastUsedAt, null);

    server.clock.advance(5_000);
    assert.equal((await requestToken(server, account)).status, 200);
    const usedAt = new Date(server.clock.now()).toISOString();

    const accountView = await server.admin.get(`/service-accounts/${account.id}`);
    const credentials = await server.admin.get(`/service-accounts/${account.id}/credentials`);
    assert.equal(accountView.body.lastUsedAt, usedAt);
    assert.equal(accountView.body.lastUsedIp, '127.0.0.1');
    assert.equal(credentials.body.items[0].lastUsedAt, usedAt);

    // With an hour between flushes, nothing is written per request.
    const [unflushed] = await queryDatabase<{ last_used_at: number | null }>(server, `SELECT last_used_at FROM credentials WHERE id = '${account.credentialId}'`);
    assert.equal(unflushed.last_used_at, null);

    await server.stop();
    const [flushed] = await queryDatabase<{ last_used_at: number }>(server, `SELECT last_used_at FROM credentials WHERE id = '${account.credentialId}'`);
    const [accountRow] = await queryDatabase<{ last_used_at: number; last_used_ip: string }>(server, `SELECT last_used_at, last_used_ip FROM service_accounts WHERE id = '${account.id}'`);

    assert.equal(Number(flushed.last_used_at), server.clock.now());
    assert.equal(Number(accountRow.last_used_at), server.clock.now());
    assert.equal(accountRow.last_used_ip, '127.0.0.1');
    await server.close();
  });

  it('never moves last used backwards', async () => {
    const server = await startTestServer({ config: { lastUsedFlushIntervalMs: 3_600_000 } });
    await ensureInstance(server, 'jira');
    const account = await createAccount(server, { name: 'ordering', access: [{ instance: 'jira', scopes: ['READ'] }] });

    await requestToken(server, account);
    const later = server.clock.now();
    await server.tessera.context.lastUsed.flush();
    server.tessera.context.lastUsed.record({ accountId: account.id, credentialId: account.credentialId, at: later - 60_000, ip: '10.0.0.1' });
    await server.tessera.context.lastUsed.flush();

    const view = await server.admin.get(`/service-accounts/${account.id}`);
    assert.equal(view.body.lastUsedAt, new Date(later).toISOString());
    assert.equal(view.body.lastUsedIp, '127.0.0.1');
    await server.close();
  });
});
