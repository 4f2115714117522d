import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type GuardOptions, createGuard } from '../src/index.js';

const valid: GuardOptions = { issuer: 'http://127.0.0.1:8080', audience: 'https://jira.example.com', profile: 'jira' };

describe('guard options', () => {
  it('fills in the defaults', () => {
    const { options } = createGuard(valid);

    assert.deepEqual(options.algorithms, ['ES256']);
    assert.equal(options.clockToleranceSeconds, 30);
    assert.equal(options.cacheSize, 10_000);
    assert.equal(options.pollIntervalMs, 2000);
    assert.equal(options.failClosed, false);
    assert.equal(options.flushIntervalMs, 2000);
    assert.equal(options.maxBuffer, 10_000);
    assert.equal(options.client, undefined);
    assert.equal(options.profile.name, 'jira');
  });

  const invalid: Array<[string, Partial<GuardOptions> | Record<string, unknown>, RegExp]> = [
    ['alg none', { algorithms: ['none'] }, /may not contain none/],
    ['HS256', { algorithms: ['ES256', 'HS256'] }, /may not contain HS256/],
    ['an empty algorithm list', { algorithms: [] }, /non-empty array/],
    ['an unknown profile', { profile: 'sharepoint' }, /names no built-in profile: sharepoint/],
    ['an issuer with a trailing slash', { issuer: 'http://127.0.0.1:8080/' }, /must not end with a slash: use http:\/\/127\.0\.0\.1:8080$/],
    ['an issuer that is no URL', { issuer: 'tessera' }, /absolute URL/],
    ['an issuer with another scheme', { issuer: 'ftp://127.0.0.1' }, /http or https/],
    ['an empty audience', { audience: '' }, /audience must be a non-empty string/],
    ['a client id without a secret', { clientId: 'tsc_x' }, /clientSecret must be a non-empty string/],
    ['failClosed without client credentials', { revocations: { failClosed: true } }, /failClosed needs clientId and clientSecret/],
    ['a negative cache size', { cacheSize: -1 }, /cacheSize must be an integer of at least 0/],
    ['a fractional poll interval', { revocations: { pollIntervalMs: 1.5 } }, /pollIntervalMs must be an integer/],
  ];
  for (const [name, override, message] of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(() => createGuard({ ...valid, ...override } as GuardOptions), (error: Error) => error instanceof TypeError && message.test(error.message));
    });
  }
});
