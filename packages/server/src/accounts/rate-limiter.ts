import { type Clock, DAY_MS } from '../clock.js';
import type { RateLimit } from './guardrails.js';

const MINUTE_MS = 60_000;
/** Below this many entries the map is not pruned. */
const PRUNE_FROM_ENTRIES = 10_000;

interface Windows {
  minute: number;
  minuteCount: number;
  day: number;
  dayCount: number;
}

export type RateLimitWindow = 'perMinute' | 'perDay';

/** The result of one check: allowed, or which window is full and when it frees up. */
export type RateLimitDecision = { exceeded: false } | { exceeded: RateLimitWindow; retryAfterSeconds: number };

/**
 * Counts token requests per account in fixed windows, the clock's minute and its UTC day.
 * A fixed window lets a client make up to twice the limit across a window boundary, which is
 * the usual trade for a counter that costs one map entry per account.
 * NOTE: counts live in this node's memory, so with several nodes behind a load balancer an
 * account may get up to the limit from each node, and a restart starts the counts again.
 */
export class RateLimiter {
  private readonly windows = new Map<string, Windows>();
  /** The day of the last pruning, so that a large map of current entries is not scanned for every new account. */
  private prunedDay = -1;

  constructor(private readonly clock: Clock) {}

  /** Accounts whose counts are in memory. */
  get size(): number {
    return this.windows.size;
  }

  /** Counts one request against the account's limit and returns whether it went over. */
  take(accountId: string, limit: RateLimit): RateLimitDecision {
    const now = this.clock.now();
    const minute = Math.floor(now / MINUTE_MS);
    const day = Math.floor(now / DAY_MS);

    let entry = this.windows.get(accountId);
    if (!entry) {
      this.pruneIfLarge(day);
      entry = { minute, minuteCount: 0, day, dayCount: 0 };
      this.windows.set(accountId, entry);
    }
    if (entry.minute !== minute) {
      entry.minute = minute;
      entry.minuteCount = 0;
    }
    if (entry.day !== day) {
      entry.day = day;
      entry.dayCount = 0;
    }

    entry.minuteCount += 1;
    entry.dayCount += 1;

    if (limit.perDay !== null && entry.dayCount > limit.perDay) {
      return { exceeded: 'perDay', retryAfterSeconds: Math.ceil(((day + 1) * DAY_MS - now) / 1000) };
    }
    if (limit.perMinute !== null && entry.minuteCount > limit.perMinute) {
      return { exceeded: 'perMinute', retryAfterSeconds: Math.ceil(((minute + 1) * MINUTE_MS - now) / 1000) };
    }
    return { exceeded: false };
  }

  /**
   * Drops the entries of past days once a day when the map is large, so that accounts that
   * stopped calling do not stay in memory. Entries of the current day stay, because their day
   * count is still needed, so the map contains at most the rate-limited accounts used since the
   * previous day began.
   */
  private pruneIfLarge(day: number): void {
    if (this.windows.size < PRUNE_FROM_ENTRIES || this.prunedDay === day) return;
    this.prunedDay = day;
    for (const [accountId, entry] of this.windows) {
      if (entry.day !== day) this.windows.delete(accountId);
    }
  }
}
