import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { errors as joseErrors, jwtVerify } from 'jose';
import { IssuerKeySet } from '../src/key-set.js';
import { MockIssuer } from './mock-issuer.js';
import { RecordingLogger } from './support.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('issuer key set against a mock issuer', () => {
  let issuer: MockIssuer;
  let logger: RecordingLogger;

  before(async () => {
    issuer = await MockIssuer.start();
  });

  after(() => issuer.close());

  afterEach(() => {
    issuer.jwksStatus = 200;
  });

  function keySet(timings: { refreshAfterMs: number; cooldownMs: number; retryWithoutKeysMs: number }): IssuerKeySet {
    logger = new RecordingLogger();
    return new IssuerKeySet(new URL(`${issuer.baseUrl}/oauth/jwks`), logger, timings);
  }

  async function verifies(keys: IssuerKeySet, token: string): Promise<boolean | string> {
    try {
      await jwtVerify(token, keys.getKey, { algorithms: ['ES256'] });
      return true;
    } catch (error) {
      return error instanceof joseErrors.JOSEError ? error.code : String(error);
    }
  }

  it('fetches a key published after the first fetch once the cooldown passed', async () => {
    // A cooldown long enough that a slow, loaded machine still checks within it.
    const keys = keySet({ refreshAfterMs: 60_000, cooldownMs: 1000, retryWithoutKeysMs: 1000 });
    assert.equal(await verifies(keys, await issuer.sign()), true);

    await issuer.addKey('mock-key-2');
    const token = await issuer.sign({}, 'mock-key-2');
    assert.equal(await verifies(keys, token), 'ERR_JWKS_NO_MATCHING_KEY', 'within the cooldown');

    await sleep(1100);
    assert.equal(await verifies(keys, token), true);
  });

  it('keeps its keys while the issuer fails, logging once', async () => {
    const keys = keySet({ refreshAfterMs: 50, cooldownMs: 50, retryWithoutKeysMs: 50 });
    const token = await issuer.sign();
    assert.equal(await verifies(keys, token), true);

    issuer.jwksStatus = 503;
    const requestsBefore = issuer.jwksRequests;
    for (let round = 0; round < 5; round += 1) {
      await sleep(60);
      assert.equal(await verifies(keys, token), true, `round ${round}`);
    }

    assert.ok(issuer.jwksRequests > requestsBefore, 'the set tried to refresh');
    assert.equal(logger.messages('warn').length, 1);
    assert.match(logger.messages('warn')[0], /the keys already loaded stay in use/);

    issuer.jwksStatus = 200;
    await sleep(60);
    await verifies(keys, token);
    await sleep(20);
    assert.ok(logger.messages('info').includes('the issuer key set is reachable again'));
  });

  it('drops a key the issuer no longer publishes', async () => {
    const keys = keySet({ refreshAfterMs: 50, cooldownMs: 50, retryWithoutKeysMs: 50 });
    await issuer.addKey('mock-key-retired');
    const token = await issuer.sign({}, 'mock-key-retired');
    assert.equal(await verifies(keys, token), true);

    issuer.unpublishKey('mock-key-retired');
    await sleep(60);
    // This call starts the background refresh and still uses the old keys.
    await verifies(keys, token);
    await sleep(20);
    assert.equal(await verifies(keys, token), 'ERR_JWKS_NO_MATCHING_KEY');
  });

  it('limits fetches while no keys are loaded', async () => {
    issuer.jwksStatus = 500;
    const keys = keySet({ refreshAfterMs: 60_000, cooldownMs: 60_000, retryWithoutKeysMs: 100 });
    const token = await issuer.sign();
    const requestsBefore = issuer.jwksRequests;

    for (let attempt = 0; attempt < 5; attempt += 1) assert.notEqual(await verifies(keys, token), true);
    assert.equal(issuer.jwksRequests, requestsBefore + 1);

    issuer.jwksStatus = 200;
    await sleep(120);
    assert.equal(await verifies(keys, token), true);
  });
});
