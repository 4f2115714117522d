import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CreatedAccount, type TestServer, createAccount, startTestServer } from '../../server/test/support/server.js';
import type { Guard, Principal } from '../src/index.js';
import { CONFLUENCE_AUDIENCE, RecordingLogger, accountWithToken, bearer, guardFor, setUpInstances, waitFor } from './support.js';

describe('guard usage reports against a real Tessera', () => {
  let server: TestServer;
  let product: CreatedAccount;
  let guard: Guard;
  let logger: RecordingLogger;

  before(async () => {
    server = await startTestServer();
    product = await setUpInstances(server);
    logger = new RecordingLogger();
    guard = guardFor(server, product, { logger, usage: { flushIntervalMs: 100 } });
    await guard.start();
  });

  after(async () => {
    await guard.close();
    await server.close();
  });

  async function principalFor(token: string): Promise<Principal> {
    const result = await guard.authenticate(bearer(token));
    if (!result.ok) assert.fail(`token rejected: ${result.error.code}`);
    return result.principal;
  }

  async function auditEventsOf(accountId: string): Promise<any[]> {
    const result = await server.admin.get(`/audit-events?action=api.request&actor=${encodeURIComponent(accountId)}&limit=100`);
    assert.equal(result.status, 200);
    return result.body.items;
  }

  it('records a report as an audit event with the credential', async () => {
    const { account, token } = await accountWithToken(server, { scopes: ['WRITE'], resources: { project: ['OPS'] } });
    const principal = await principalFor(token);
    const sentBefore = guard.stats().reportsSent;

    guard.report(principal, { method: 'post', route: '/rest/api/2/issue', status: 201, resource: { type: 'project', id: 'OPS' } });
    await waitFor(async () => (await auditEventsOf(account.id)).length === 1, 5000, 'the usage report to reach the audit log');

    const [event] = await auditEventsOf(account.id);
    assert.equal(event.action, 'api.request');
    assert.equal(event.outcome, 'success');
    assert.equal(event.actor.id, account.id);
    assert.equal(event.actor.credentialId, account.credentialId);
    assert.deepEqual(event.target, { type: 'project', id: 'OPS', name: null });
    assert.equal(event.details.method, 'POST');
    assert.equal(event.details.route, '/rest/api/2/issue');
    assert.equal(event.details.status, 201);
    assert.equal(event.details.tokenId, principal.tokenId);
    assert.equal(event.details.reportedBy, product.id);
    assert.equal(guard.stats().reportsSent, sentBefore + 1);
  });

  it('records a failed request as a failure without a resource', async () => {
    const { account, token } = await accountWithToken(server, { scopes: ['READ'] });
    const principal = await principalFor(token);

    guard.report(principal, { method: 'DELETE', route: '/rest/api/2/issue/:key', status: 403 });
    await guard.flushUsage();

    const [event] = await auditEventsOf(account.id);
    assert.equal(event.outcome, 'failure');
    assert.equal(event.target, null);
    assert.equal(event.details.status, 403);
  });

  it('moves last used of the account and the credential', async () => {
    const { account, token } = await accountWithToken(server, { scopes: ['READ'] });
    const principal = await principalFor(token);
    const start = server.clock.now();

    try {
      // Later than the token request, which set last used too.
      server.clock.advance(90_000);
      const usedAt = new Date(server.clock.now()).toISOString();
      guard.report(principal, { method: 'GET', route: '/rest/api/2/search', status: 200 });
      await guard.flushUsage();

      const view = await server.admin.get(`/service-accounts/${account.id}`);
      assert.equal(view.body.lastUsedAt, usedAt);
      const credentials = await server.admin.get(`/service-accounts/${account.id}/credentials`);
      const credential = credentials.body.items.find((item: { id: string }) => item.id === account.credentialId);
      assert.equal(credential.lastUsedAt, usedAt);
    } finally {
      server.clock.set(start);
    }
  });

  it('sends more than one batch of 500 events', async () => {
    const { account, token } = await accountWithToken(server, { scopes: ['READ'] });
    const principal = await principalFor(token);
    const sentBefore = guard.stats().reportsSent;

    for (let index = 0; index < 1100; index += 1) guard.report(principal, { method: 'GET', route: '/rest/api/2/issue/:key', status: 200 });
    await waitFor(() => guard.stats().reportsSent === sentBefore + 1100, 10_000, 'all 1100 events to be sent');

    const all = await server.admin.get(`/audit-events?action=api.request&actor=${account.id}&limit=100`);
    assert.equal(all.body.items.length, 100);
    assert.ok(all.body.nextCursor, 'more events than one page');
    assert.equal(guard.stats().reportsDropped, 0);
  });

  it('drops a report with an oversized field instead of the batch', async () => {
    const { token } = await accountWithToken(server, { scopes: ['READ'] });
    const principal = await principalFor(token);
    const before = guard.stats();

    guard.report(principal, { method: 'GET', route: '/ok', status: 200 });
    guard.report(principal, { method: 'GET', route: '/ok', status: 200, resource: { type: 'project', id: 'x'.repeat(300) } });
    guard.report(principal, { method: 'GET', route: '/ok', status: 42 });
    await guard.flushUsage();

    const after = guard.stats();
    assert.equal(after.reportsSent, before.reportsSent + 1);
    assert.equal(after.reportsDropped, before.reportsDropped + 2);
  });

  it('drops reports for an audience the product has no grant on', async () => {
    const confluenceLogger = new RecordingLogger();
    const reader = await createAccount(server, { name: 'confluence-reader', access: [{ instance: 'confluence', scopes: ['READ'], resources: { space: '*' } }] });
    const confluenceGuard = guardFor(server, product, { audience: CONFLUENCE_AUDIENCE, profile: 'confluence', logger: confluenceLogger, usage: { flushIntervalMs: 60_000 } });
    const issued = await fetch(`${server.baseUrl}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${reader.clientId}:${reader.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const token = ((await issued.json()) as { access_token: string }).access_token;

    try {
      await confluenceGuard.start();
      const result = await confluenceGuard.authenticate(bearer(token));
      if (!result.ok) assert.fail(`token rejected: ${result.error.code}`);
      confluenceGuard.report(result.principal, { method: 'GET', route: '/wiki/:page', status: 200 });
      confluenceGuard.report(result.principal, { method: 'GET', route: '/wiki/:page', status: 200 });
      await confluenceGuard.flushUsage();

      assert.equal(confluenceGuard.stats().reportsDropped, 2);
      assert.equal(confluenceGuard.stats().reportsSent, 0);
      const errors = confluenceLogger.entries.filter((entry) => entry.level === 'error');
      assert.equal(errors.length, 1);
      assert.equal(errors[0].details.status, 403);
      assert.equal(errors[0].details.error, 'access_denied');
    } finally {
      await confluenceGuard.close();
    }
  });
});
