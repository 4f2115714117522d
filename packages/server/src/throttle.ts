import type { Clock } from './clock.js';

/**
 * Counts failures per key in a fixed window and reports when a key has failed too often.
 * Counts live in memory per node, so a restart clears them and each node of a cluster counts separately.
 */
export class FailureThrottle {
  private readonly windows = new Map<string, { startedAt: number; failures: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly maxFailures: number,
    private readonly windowMs: number,
  ) {}

  /** Seconds until the key may try again, or 0 when it is not throttled. */
  retryAfterSeconds(key: string): number {
    const window = this.windows.get(key);
    if (!window) return 0;

    const elapsed = this.clock.now() - window.startedAt;
    if (elapsed >= this.windowMs) {
      this.windows.delete(key);
      return 0;
    }
    return window.failures >= this.maxFailures ? Math.ceil((this.windowMs - elapsed) / 1000) : 0;
  }

  recordFailure(key: string): void {
    const now = this.clock.now();
    const window = this.windows.get(key);
    if (!window || now - window.startedAt >= this.windowMs) {
      this.windows.set(key, { startedAt: now, failures: 1 });
      this.pruneIfLarge(now);
      return;
    }
    window.failures += 1;
  }

  reset(key: string): void {
    this.windows.delete(key);
  }

  /** Drops finished windows once the map grows, so that random keys cannot exhaust memory. */
  private pruneIfLarge(now: number): void {
    if (this.windows.size < 10_000) return;
    for (const [key, window] of this.windows) {
      if (now - window.startedAt >= this.windowMs) this.windows.delete(key);
    }
  }
}
