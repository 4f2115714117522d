import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestServer, startTestServer } from '../../server/test/support/server.js';
import type { Guard } from '../src/index.js';
import { RecordingLogger, accountWithToken, bearer, guardFor, setUpInstances, waitFor } from './support.js';

const POLL_INTERVAL_MS = 50;

describe('guard while Tessera is down', () => {
  let server: TestServer;
  let failOpen: Guard;
  let failClosed: Guard;
  let logger: RecordingLogger;
  const tokens: string[] = [];

  before(async () => {
    server = await startTestServer();
    const product = await setUpInstances(server);
    logger = new RecordingLogger();
    failOpen = guardFor(server, product, { logger, revocations: { pollIntervalMs: POLL_INTERVAL_MS } });
    failClosed = guardFor(server, product, { revocations: { pollIntervalMs: POLL_INTERVAL_MS, failClosed: true } });
    await Promise.all([failOpen.start(), failClosed.start()]);
    for (let index = 0; index < 2; index += 1) tokens.push((await accountWithToken(server, { scopes: ['READ'] })).token);
  });

  after(async () => {
    await Promise.all([failOpen.close(), failClosed.close()]);
    await server.close();
  });

  it('accepts tokens before the outage', async () => {
    assert.equal((await failOpen.authenticate(bearer(tokens[0]))).ok, true);
    assert.equal((await failClosed.authenticate(bearer(tokens[0]))).ok, true);
  });

  it('verifies new tokens with the keys it has', async () => {
    await server.stop();
    await waitFor(() => logger.messages('warn').some((message) => message.startsWith('polling the revocation feed failed')), 5000, 'the outage warning');

    // tokens[1] was never seen, so this is a full signature check with no issuer to ask.
    const before = failOpen.stats().verified;
    const result = await failOpen.authenticate(bearer(tokens[1]));
    assert.equal(result.ok, true);
    assert.equal(failOpen.stats().verified, before + 1);
    assert.ok((failOpen.stats().feedLagMs as number) >= POLL_INTERVAL_MS);
  });

  it('rejects every token with failClosed', async () => {
    await waitFor(async () => !(await failClosed.authenticate(bearer(tokens[0]))).ok, 5000, 'fail-closed rejection');
    const result = await failClosed.authenticate(bearer(tokens[1]));

    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.error.code, 'temporarily_unavailable');
      assert.equal(result.error.status, 503);
    }
  });

  it('logs the outage once', async () => {
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS * 5));
    const warnings = logger.messages('warn').filter((message) => message.startsWith('polling the revocation feed failed'));
    assert.equal(warnings.length, 1);
  });
});
