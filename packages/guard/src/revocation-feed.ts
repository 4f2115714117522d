import { basicAuthorization } from './client-auth.js';
import { ISSUER_REQUEST_TIMEOUT_MS } from './discovery.js';
import type { ResolvedOptions } from './options.js';
import type { RevocationEntry, RevocationList } from './revocation-list.js';

/** The feed's path under the issuer. */
export const REVOCATIONS_PATH = '/guard/v1/revocations';

/** How many consecutive failed polls it takes for `failClosed` to reject tokens. */
const FAIL_CLOSED_AFTER_INTERVALS = 2;

/** One prune of the revocation list per this many polls. */
const PRUNE_EVERY_POLLS = 100;

/**
 * Pages fetched in one poll at most. A page with items may have a next one (the server
 * pages the feed), so a poll keeps reading until a page comes back empty.
 */
const MAX_PAGES_PER_POLL = 20;

class FeedError extends Error {
  override name = 'FeedError';
}

function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/**
 * Checks one feed item. Returns undefined for a kind this version does not know, so that
 * the server can add kinds, and throws for a known kind with a wrong shape, since skipping
 * it could let a revoked token through.
 */
export function parseRevocationItem(item: unknown): RevocationEntry | undefined {
  if (typeof item !== 'object' || item === null) throw new FeedError('the revocation feed returned an item that is not an object');
  const fields = item as Record<string, unknown>;

  switch (fields.kind) {
    case 'credential': {
      const effectiveAt = parseTime(fields.effectiveAt);
      if (!isId(fields.accountId) || !isId(fields.credentialId) || effectiveAt === undefined) break;
      return { kind: 'credential', accountId: fields.accountId, credentialId: fields.credentialId, effectiveAt };
    }
    case 'account':
      if (!isId(fields.accountId) || typeof fields.generation !== 'number' || !Number.isSafeInteger(fields.generation)) break;
      return { kind: 'account', accountId: fields.accountId, generation: fields.generation };
    case 'account_deleted':
      if (!isId(fields.accountId)) break;
      return { kind: 'account_deleted', accountId: fields.accountId };
    case 'token': {
      const expiresAt = parseTime(fields.expiresAt);
      if (!isId(fields.tokenId) || expiresAt === undefined) break;
      return { kind: 'token', tokenId: fields.tokenId, expiresAt };
    }
    default:
      return undefined;
  }
  throw new FeedError(`the revocation feed returned a ${String(fields.kind)} item with missing or invalid fields`);
}

/**
 * Polls Tessera's revocation feed and applies what it returns to the revocation list. The
 * first poll has no cursor and returns every entry that can still matter; later polls pass
 * the cursor of the previous response. A failed poll keeps the cursor, so nothing is skipped.
 * An outage is logged once when it starts and once when it ends.
 */
export class RevocationFeed {
  private cursor: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private inFlight: Promise<void> | undefined;
  private polls = 0;
  /** performance.now() of the last successful poll, or undefined before the first. */
  private lastSuccessAt: number | undefined;
  private startedAt = performance.now();
  private outageStartedAt: number | undefined;
  private readonly url: URL;
  private readonly authorization: string;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly list: RevocationList,
  ) {
    const client = options.client;
    if (!client) throw new Error('the revocation feed needs client credentials');

    this.url = new URL(`${options.issuer}${REVOCATIONS_PATH}`);
    this.authorization = basicAuthorization(client.id, client.secret);
  }

  /** Polls once now and keeps polling every pollIntervalMs until `stop`. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.startedAt = performance.now();
    this.options.logger.info({ url: this.url.href, pollIntervalMs: this.options.pollIntervalMs }, 'guard started following the revocation feed');

    await this.pollAndSchedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.inFlight;
    this.options.logger.info({ url: this.url.href }, 'guard stopped following the revocation feed');
  }

  /** Milliseconds since the last successful poll, or since start when none succeeded yet. */
  lagMs(): number {
    return performance.now() - (this.lastSuccessAt ?? this.startedAt);
  }

  /**
   * Decides whether `failClosed` must reject tokens now: before the first successful poll,
   * and when the last success is more than two poll intervals old.
   */
  isStale(): boolean {
    if (this.lastSuccessAt === undefined) return true;
    return performance.now() - this.lastSuccessAt > FAIL_CLOSED_AFTER_INTERVALS * this.options.pollIntervalMs;
  }

  private async pollAndSchedule(): Promise<void> {
    this.inFlight = this.poll();
    await this.inFlight;
    this.inFlight = undefined;

    if (!this.running) return;
    // The next poll starts an interval after this one ended, so a slow server never gets overlapping polls.
    this.timer = setTimeout(() => void this.pollAndSchedule(), this.options.pollIntervalMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    try {
      let applied = 0;
      for (let page = 0; page < MAX_PAGES_PER_POLL; page += 1) {
        const { entries, nextCursor } = await this.fetchPage();
        for (const entry of entries) this.list.apply(entry);
        this.cursor = nextCursor;
        applied += entries.length;
        if (entries.length === 0) break;
      }
      this.recordSuccess(applied);
    } catch (error) {
      this.recordFailure(error);
    }

    this.polls += 1;
    if (this.polls % PRUNE_EVERY_POLLS === 0) this.list.prune();
  }

  private async fetchPage(): Promise<{ entries: RevocationEntry[]; nextCursor: string }> {
    const url = new URL(this.url);
    if (this.cursor !== undefined) url.searchParams.set('since', this.cursor);

    const response = await fetch(url, {
      headers: { authorization: this.authorization, accept: 'application/json' },
      signal: AbortSignal.timeout(ISSUER_REQUEST_TIMEOUT_MS),
    });
    if (response.status !== 200) {
      const body = await response.text().catch(() => '');
      throw new FeedError(`the revocation feed returned HTTP ${response.status} ${body.slice(0, 200)}`.trim());
    }

    const body = (await response.json()) as { items?: unknown; nextCursor?: unknown };
    if (!Array.isArray(body.items) || typeof body.nextCursor !== 'string') throw new FeedError('the revocation feed returned a body without items and nextCursor');

    const entries: RevocationEntry[] = [];
    for (const item of body.items) {
      const entry = parseRevocationItem(item);
      if (entry) entries.push(entry);
      else this.options.logger.debug({ kind: (item as { kind?: unknown }).kind }, 'guard ignored a revocation feed item of an unknown kind');
    }
    return { entries, nextCursor: body.nextCursor };
  }

  private recordSuccess(applied: number): void {
    const now = performance.now();
    if (this.outageStartedAt !== undefined) {
      this.options.logger.info({ url: this.url.href, outageMs: Math.round(now - this.outageStartedAt) }, 'the revocation feed is reachable again');
      this.outageStartedAt = undefined;
    }

    this.lastSuccessAt = now;
    if (applied > 0) this.options.logger.debug({ applied, revocations: this.list.size }, 'guard applied revocations');
  }

  private recordFailure(error: unknown): void {
    if (this.outageStartedAt !== undefined) return;

    this.outageStartedAt = performance.now();
    const consequence = this.options.failClosed
      ? `every token is rejected once the last successful poll is more than ${FAIL_CLOSED_AFTER_INTERVALS} poll intervals old`
      : 'tokens are still accepted on their signature alone, so a revocation made meanwhile is not enforced';
    this.options.logger.warn({ url: this.url.href, err: error }, `polling the revocation feed failed; retrying every ${this.options.pollIntervalMs} ms, and ${consequence}`);
  }
}
