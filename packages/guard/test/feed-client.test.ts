import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { type Guard, type GuardOptions, createGuard } from '../src/index.js';
import { MockIssuer } from './mock-issuer.js';
import { RecordingLogger, bearer, waitFor } from './support.js';

const POLL_INTERVAL_MS = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('guard revocation feed client against a mock issuer', () => {
  let issuer: MockIssuer;
  let guard: Guard | undefined;
  let logger: RecordingLogger;

  before(async () => {
    issuer = await MockIssuer.start();
  });

  after(() => issuer.close());

  afterEach(async () => {
    await guard?.close();
    guard = undefined;
    issuer.feed = () => ({ status: 200, body: { items: [], nextCursor: '0' } });
    issuer.feedRequests.length = 0;
    issuer.metadataIssuer = undefined;
  });

  async function startGuard(options: Partial<GuardOptions> = {}): Promise<Guard> {
    logger = new RecordingLogger();
    guard = createGuard({
      issuer: issuer.baseUrl,
      audience: issuer.audience,
      profile: 'jira',
      clientId: 'tsc_product',
      clientSecret: 'tss_product secret',
      logger,
      ...options,
      revocations: { pollIntervalMs: POLL_INTERVAL_MS, ...options.revocations },
    });
    await guard.start();
    return guard;
  }

  async function codeOf(token: string): Promise<string> {
    const result = await guard!.authenticate(bearer(token));
    return result.ok ? 'ok' : result.error.code;
  }

  function warnings(prefix: string): number {
    return logger.entries.filter((entry) => entry.level === 'warn' && entry.message.startsWith(prefix)).length;
  }

  it('authenticates with HTTP Basic and passes the cursor on', async () => {
    let cursor = 0;
    issuer.feed = () => ({ status: 200, body: { items: [], nextCursor: String(++cursor) } });
    await startGuard();
    await waitFor(() => issuer.feedRequests.length >= 3, 2000, 'three polls');

    const [first, second, third] = issuer.feedRequests;
    assert.equal(first.url.searchParams.has('since'), false);
    assert.equal(second.url.searchParams.get('since'), '1');
    assert.equal(third.url.searchParams.get('since'), '2');
    // RFC 6749 §2.3.1 form-encodes both parts, so the space in the secret becomes +.
    assert.equal(first.authorization, `Basic ${Buffer.from('tsc_product:tss_product+secret').toString('base64')}`);
  });

  it('applies each kind of entry', async () => {
    const credentialToken = await issuer.sign({ credential_id: 'credential-revoked' });
    const oldGeneration = await issuer.sign({ sub: 'account-narrowed', generation: 1 });
    const currentGeneration = await issuer.sign({ sub: 'account-narrowed', generation: 2 });
    const deleted = await issuer.sign({ sub: 'account-deleted' });
    const revokedToken = await issuer.sign({ jti: 'token-revoked' });
    const rotated = await issuer.sign({ credential_id: 'credential-rotating' });
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    issuer.feed = (request) => {
      if (request.url.searchParams.has('since')) return { status: 200, body: { items: [], nextCursor: '5' } };
      return {
        status: 200,
        body: {
          items: [
            { kind: 'credential', accountId: 'a', credentialId: 'credential-revoked', effectiveAt: new Date(Date.now() - 1000).toISOString() },
            { kind: 'account', accountId: 'account-narrowed', generation: 2 },
            { kind: 'account_deleted', accountId: 'account-deleted' },
            { kind: 'token', tokenId: 'token-revoked', expiresAt: inAnHour },
            { kind: 'credential', accountId: 'b', credentialId: 'credential-rotating', effectiveAt: inAnHour },
          ],
          nextCursor: '5',
        },
      };
    };
    await startGuard();

    assert.equal(await codeOf(credentialToken), 'revoked');
    assert.equal(await codeOf(oldGeneration), 'revoked');
    assert.equal(await codeOf(currentGeneration), 'ok');
    assert.equal(await codeOf(deleted), 'revoked');
    assert.equal(await codeOf(revokedToken), 'revoked');
    assert.equal(await codeOf(rotated), 'ok');
    assert.equal(await codeOf(await issuer.sign()), 'ok');
  });

  it('reads every page of a long feed in one poll', async () => {
    const revoked = await issuer.sign({ jti: 'on-page-3' });
    issuer.feed = (request) => {
      const page = Number(request.url.searchParams.get('since') ?? '0');
      const items = page < 3 ? [{ kind: 'token', tokenId: `on-page-${page + 1}`, expiresAt: new Date(Date.now() + 60_000).toISOString() }] : [];
      return { status: 200, body: { items, nextCursor: String(Math.min(page + 1, 3)) } };
    };
    await startGuard({ revocations: { pollIntervalMs: 60_000 } });

    assert.equal(issuer.feedRequests.length, 4);
    assert.equal(await codeOf(revoked), 'revoked');
  });

  it('ignores an item of an unknown kind', async () => {
    issuer.feed = () => ({ status: 200, body: { items: [{ kind: 'policy_changed', id: 'x' }], nextCursor: '1' } });
    await startGuard({ revocations: { pollIntervalMs: 60_000, failClosed: true } });

    assert.equal(await codeOf(await issuer.sign()), 'ok');
  });

  it('keeps the cursor after a malformed item', async () => {
    issuer.feed = (request) => {
      if (!request.url.searchParams.has('since')) return { status: 200, body: { items: [], nextCursor: '7' } };
      return { status: 200, body: { items: [{ kind: 'credential', credentialId: 'c' }], nextCursor: '8' } };
    };
    await startGuard();
    await waitFor(() => issuer.feedRequests.length >= 4, 2000, 'four polls');

    const cursors = issuer.feedRequests.slice(1, 4).map((request) => request.url.searchParams.get('since'));
    assert.deepEqual(cursors, ['7', '7', '7']);
    assert.equal(warnings('polling the revocation feed failed'), 1);
  });

  it('keeps accepting tokens during an outage by default, logging it once', async () => {
    const token = await issuer.sign();
    await startGuard();
    assert.equal(await codeOf(token), 'ok');

    issuer.feed = () => ({ status: 503, body: { error: 'temporarily_unavailable' } });
    await waitFor(() => warnings('polling the revocation feed failed') === 1, 2000, 'the outage warning');
    const failedPolls = issuer.feedRequests.length;
    await sleep(POLL_INTERVAL_MS * 6);

    assert.ok(issuer.feedRequests.length >= failedPolls + 3, 'polling goes on during the outage');
    assert.equal(warnings('polling the revocation feed failed'), 1);
    assert.equal(await codeOf(token), 'ok');
    assert.ok((guard!.stats().feedLagMs as number) >= POLL_INTERVAL_MS * 6);

    issuer.feed = () => ({ status: 200, body: { items: [], nextCursor: '0' } });
    await waitFor(() => logger.messages('info').includes('the revocation feed is reachable again'), 2000, 'the recovery message');
    assert.ok((guard!.stats().feedLagMs as number) < 1000);
  });

  it('rejects every token after two failed intervals with failClosed', async () => {
    const token = await issuer.sign();
    await startGuard({ revocations: { pollIntervalMs: POLL_INTERVAL_MS, failClosed: true } });
    assert.equal(await codeOf(token), 'ok');

    issuer.feed = () => ({ status: 500, body: {} });
    await waitFor(async () => (await codeOf(token)) === 'temporarily_unavailable', 2000, 'fail-closed rejection');
    const result = await guard!.authenticate(bearer(token));
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.error.status, 503);
      assert.equal(result.error.wwwAuthenticate, undefined);
    }
    // A missing token is still reported as such, not as an outage.
    assert.equal(await codeOf(''), 'missing_token');

    issuer.feed = () => ({ status: 200, body: { items: [], nextCursor: '0' } });
    await waitFor(async () => (await codeOf(token)) === 'ok', 2000, 'acceptance after recovery');
    assert.equal(warnings('polling the revocation feed failed'), 1);
  });

  it('rejects tokens with failClosed until the first poll succeeds', async () => {
    issuer.feed = () => ({ status: 502, body: {} });
    await startGuard({ revocations: { pollIntervalMs: POLL_INTERVAL_MS, failClosed: true } });

    assert.equal(await codeOf(await issuer.sign()), 'temporarily_unavailable');
  });

  it('starts when the issuer metadata names another issuer, and rejects with 503', async () => {
    issuer.metadataIssuer = 'https://elsewhere.example.com';
    await startGuard();

    assert.equal(await codeOf(await issuer.sign()), 'temporarily_unavailable');
    const warning = logger.entries.find((entry) => entry.message.startsWith('fetching the issuer metadata failed'));
    assert.ok(warning);
    assert.match((warning.details.err as Error).message, /names issuer https:\/\/elsewhere\.example\.com/);
  });

  it('polls no more after close', async () => {
    await startGuard();
    await guard!.close();
    const polls = issuer.feedRequests.length;
    await sleep(POLL_INTERVAL_MS * 4);

    assert.equal(issuer.feedRequests.length, polls);
  });
});
