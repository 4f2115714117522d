import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CreatedAccount, type TestServer, basicAuth, postForm, requestToken, startTestServer } from '../../server/test/support/server.js';
import type { Guard } from '../src/index.js';
import { RecordingLogger, accountWithToken, bearer, guardFor, setUpInstances, waitFor } from './support.js';

/** Time within which a revocation must reach guard. The feed polls every 100 ms here. */
const REVOCATION_DEADLINE_MS = 5000;
const POLL_INTERVAL_MS = 100;

describe('guard revocation feed against a real Tessera', () => {
  let server: TestServer;
  let product: CreatedAccount;
  let guard: Guard;
  let logger: RecordingLogger;

  before(async () => {
    server = await startTestServer();
    product = await setUpInstances(server);
    logger = new RecordingLogger();
    guard = guardFor(server, product, { logger, revocations: { pollIntervalMs: POLL_INTERVAL_MS } });
    await guard.start();
  });

  after(async () => {
    await guard.close();
    await server.close();
  });

  async function codeOf(token: string): Promise<string> {
    const result = await guard.authenticate(bearer(token));
    return result.ok ? 'ok' : result.error.code;
  }

  /** Waits until guard rejects the token as revoked and returns how long that took. */
  function waitForRevoked(token: string): Promise<number> {
    return waitFor(async () => (await codeOf(token)) === 'revoked', REVOCATION_DEADLINE_MS, 'guard to reject the token as revoked');
  }

  it('follows the feed once started', () => {
    assert.ok(logger.messages('info').includes('guard started following the revocation feed'));
    assert.ok(guard.stats().feedLagMs !== null);
    assert.ok((guard.stats().feedLagMs as number) < 5000);
  });

  it('rejects a token of a revoked credential within seconds', async () => {
    const { account, token } = await accountWithToken(server, { scopes: ['READ'] });
    const bystander = await accountWithToken(server, { scopes: ['READ'] });
    // Cached first, so the revocation has to reach a token that skips the signature check.
    assert.equal(await codeOf(token), 'ok');
    assert.equal(await codeOf(token), 'ok');

    const revoked = await server.admin.delete(`/service-accounts/${account.id}/credentials/${account.credentialId}`);
    assert.equal(revoked.status, 200);
    const tookMs = await waitForRevoked(token);

    assert.ok(tookMs < REVOCATION_DEADLINE_MS);
    assert.equal(await codeOf(bystander.token), 'ok');
    const result = await guard.authenticate(bearer(token));
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.error.wwwAuthenticate, 'Bearer error="invalid_token", error_description="The access token was revoked."');
  });

  it('rejects tokens of a disabled account and not the new ones after re-enabling', async () => {
    const { account, token } = await accountWithToken(server, { scopes: ['READ'] });
    assert.equal(await codeOf(token), 'ok');

    assert.equal((await server.admin.patch(`/service-accounts/${account.id}`, { status: 'disabled' })).status, 200);
    await waitForRevoked(token);

    assert.equal((await server.admin.patch(`/service-accounts/${account.id}`, { status: 'active' })).status, 200);
    const fresh = await requestToken(server, account);
    assert.equal(fresh.status, 200);
    assert.equal(await codeOf(fresh.body.access_token), 'ok');
    assert.equal(await codeOf(token), 'revoked');
  });

  it('rejects tokens of a deleted account', async () => {
    const { account, token } = await accountWithToken(server, { scopes: ['READ'] });
    assert.equal(await codeOf(token), 'ok');

    assert.equal((await server.admin.delete(`/service-accounts/${account.id}`)).status, 204);
    await waitForRevoked(token);
  });

  it('rejects tokens issued before a grant was narrowed', async () => {
    const { account, token } = await accountWithToken(server, { scopes: ['WRITE'], resources: { project: ['OPS', 'WEB'] } });
    assert.equal(await codeOf(token), 'ok');

    const narrowed = await server.admin.patch(`/service-accounts/${account.id}`, { access: [{ instance: 'jira', scopes: ['WRITE'], resources: { project: ['OPS'] } }] });
    assert.equal(narrowed.status, 200);
    await waitForRevoked(token);
  });

  it('rejects a token revoked by its client', async () => {
    const { account, token } = await accountWithToken(server, { scopes: ['READ'] });
    const sibling = await requestToken(server, account);
    assert.equal(await codeOf(token), 'ok');

    const revoked = await postForm(`${server.baseUrl}/oauth/revoke`, { token }, { authorization: basicAuth(account.clientId, account.clientSecret) });
    assert.equal(revoked.status, 200);
    await waitForRevoked(token);
    assert.equal(await codeOf(sibling.body.access_token), 'ok');
  });

  it('keeps a rotated credential valid until its grace period ends', async () => {
    const { account, token } = await accountWithToken(server, { scopes: ['READ'] });
    const start = server.clock.now();
    const rotated = await server.admin.post(`/service-accounts/${account.id}/credentials/${account.credentialId}/rotate`, { gracePeriodSeconds: 600 });
    assert.equal(rotated.status, 201);

    try {
      // Several polls later the entry has arrived, and the token still passes.
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS * 5));
      assert.equal(await codeOf(token), 'ok');

      server.clock.advance(601_000);
      assert.equal(await codeOf(token), 'revoked');
    } finally {
      server.clock.set(start);
    }
  });

  it('applies revocations made before it started', async () => {
    const { account, token } = await accountWithToken(server, { scopes: ['READ'] });
    await server.admin.delete(`/service-accounts/${account.id}/credentials/${account.credentialId}`);

    const late = guardFor(server, product, { revocations: { pollIntervalMs: 60_000 } });
    try {
      await late.start();
      const result = await late.authenticate(bearer(token));
      assert.equal(result.ok, false);
      if (!result.ok) assert.equal(result.error.code, 'revoked');
    } finally {
      await late.close();
    }
  });

  it('logs a feed that rejects the client once', async () => {
    // An account of its own, so that the server's throttling of failed client authentication never slows the main guard's feed.
    const { account } = await accountWithToken(server, { scopes: ['READ'] });
    const wrongSecretLogger = new RecordingLogger();
    const misconfigured = guardFor(server, { ...account, clientSecret: 'tss_not_the_secret' }, { logger: wrongSecretLogger, revocations: { pollIntervalMs: 50 } });
    try {
      await misconfigured.start();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const warnings = wrongSecretLogger.entries.filter((entry) => entry.level === 'warn' && entry.message.startsWith('polling the revocation feed failed'));

      assert.equal(warnings.length, 1);
      assert.match(String((warnings[0].details.err as Error).message), /HTTP 401/);
      assert.ok(!wrongSecretLogger.text().includes('tss_not_the_secret'));
    } finally {
      await misconfigured.close();
    }
  });
});
