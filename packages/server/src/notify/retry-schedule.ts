/**
 * Waits between attempts of one delivery: 1 min, 5 min, 30 min, 2 h, 6 h, then it gives up,
 * so a delivery is tried MAX_ATTEMPTS times over about 8.6 hours.
 */
export const RETRY_DELAYS_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 6 * 3_600_000];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** Random spread added to each wait, as a fraction of it, so that many failures do not retry in step. */
const JITTER = 0.1;

/** Returns when to try again after `attempts` failed attempts, or null when no attempt is left. */
export function nextAttemptAt(attempts: number, now: number, random: () => number = Math.random): number | null {
  const delay = RETRY_DELAYS_MS[attempts - 1];
  if (delay === undefined) return null;
  return now + Math.round(delay * (1 + JITTER * random()));
}
