import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter } from '../src/accounts/rate-limiter.js';
import { DAY_MS, ManualClock } from '../src/clock.js';

const PER_DAY_TWO = { perMinute: null, perDay: 2, mode: 'enforce' as const };
const UNLIMITED_DAY = { perMinute: null, perDay: 1_000_000, mode: 'enforce' as const };

describe('rate limiter', () => {
  it('keeps a day count through pruning', () => {
    // Start of a UTC day, so that the minutes below stay on the same day.
    const clock = new ManualClock(Math.floor(Date.now() / DAY_MS) * DAY_MS);
    const limiter = new RateLimiter(clock);
    assert.equal(limiter.take('quiet', PER_DAY_TWO).exceeded, false);
    assert.equal(limiter.take('quiet', PER_DAY_TWO).exceeded, false);

    for (let i = 0; i < 10_000; i += 1) limiter.take(`busy-${i}`, UNLIMITED_DAY);
    clock.advance(5 * 60_000);
    limiter.take('newcomer', UNLIMITED_DAY);

    assert.equal(limiter.take('quiet', PER_DAY_TWO).exceeded, 'perDay');
  });

  it('forgets past days when pruning', () => {
    const clock = new ManualClock(Math.floor(Date.now() / DAY_MS) * DAY_MS);
    const limiter = new RateLimiter(clock);
    assert.equal(limiter.take('yesterday', PER_DAY_TWO).exceeded, false);
    assert.equal(limiter.take('yesterday', PER_DAY_TWO).exceeded, false);
    for (let i = 0; i < 10_000; i += 1) limiter.take(`busy-${i}`, UNLIMITED_DAY);

    clock.advance(DAY_MS);
    limiter.take('newcomer', UNLIMITED_DAY);

    assert.equal(limiter.size, 1);
    assert.equal(limiter.take('yesterday', PER_DAY_TWO).exceeded, false);
  });
});
