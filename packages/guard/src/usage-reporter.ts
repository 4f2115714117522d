import type { ResourceReference } from './authorize.js';
import { basicAuthorization } from './client-auth.js';
import { ISSUER_REQUEST_TIMEOUT_MS } from './discovery.js';
import type { ResolvedOptions } from './options.js';
import type { Principal } from './principal.js';

/** The usage endpoint's path under the issuer. */
export const USAGE_PATH = '/guard/v1/usage';

export { MAX_USAGE_EVENTS_PER_REQUEST as MAX_EVENTS_PER_REQUEST } from '@tessera/shared';
import { MAX_USAGE_EVENTS_PER_REQUEST as MAX_EVENTS_PER_REQUEST, USAGE_FIELD_LIMITS } from '@tessera/shared';

/** A product's report about one request that a token authenticated. */
export interface UsageReport {
  method: string;
  /** The route template, such as `/projects/:key/issues`, rather than the concrete path. */
  route: string;
  /** The HTTP status of the response. */
  status: number;
  resource?: ResourceReference | null;
}

interface UsageEvent {
  accountId: string;
  credentialId: string;
  tokenId: string;
  method: string;
  route: string;
  status: number;
  resource: ResourceReference | null;
  occurredAt: string;
}

type SendOutcome = 'done' | 'retry';

/**
 * Field limits of the usage endpoint. The server rejects a whole batch for one event past
 * them, so guard drops such an event alone when it is reported, and shortens long routes.
 */
const LIMITS = USAGE_FIELD_LIMITS;

function isBoundedString(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength;
}

/** Turns a report into an event, or returns undefined when the usage endpoint would reject it. */
function toEvent(principal: Principal, report: UsageReport, occurredAt: string): UsageEvent | undefined {
  if (typeof report !== 'object' || report === null) return undefined;
  const method = typeof report.method === 'string' ? report.method.toUpperCase() : undefined;
  const route = typeof report.route === 'string' ? report.route.slice(0, LIMITS.route) : undefined;
  const resource = report.resource ?? null;

  if (!isBoundedString(method, LIMITS.method) || !isBoundedString(route, LIMITS.route)) return undefined;
  if (!Number.isInteger(report.status) || report.status < 100 || report.status > 599) return undefined;
  if (resource !== null && (!isBoundedString(resource.type, LIMITS.resourceType) || !isBoundedString(resource.id, LIMITS.resourceId))) return undefined;

  return {
    accountId: principal.accountId,
    credentialId: principal.credentialId,
    tokenId: principal.tokenId,
    method,
    route,
    status: report.status,
    resource: resource && { type: resource.type, id: resource.id },
    occurredAt,
  };
}

/**
 * Buffers usage reports and sends them to Tessera in batches on a timer. Reporting never
 * blocks or throws. A report with an invalid field, the oldest events of a full buffer, and
 * a batch that the server rejects as a whole are dropped and counted in `dropped`. A batch
 * that fails because the server is unreachable or returns 5xx or 429 goes back into the
 * buffer for the next flush.
 */
export class UsageReporter {
  sent = 0;
  dropped = 0;
  private buffer: UsageEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failing = false;
  /** HTTP status of the last batch the server rejected as a whole, so each kind of rejection is logged once until a batch succeeds. */
  private loggedRejection: number | undefined;
  private closed = false;
  private readonly url: URL;
  private readonly authorization: string;

  constructor(private readonly options: ResolvedOptions) {
    const client = options.client;
    if (!client) throw new Error('usage reporting needs client credentials');

    this.url = new URL(`${options.issuer}${USAGE_PATH}`);
    this.authorization = basicAuthorization(client.id, client.secret);
  }

  start(): void {
    this.closed = false;
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and sends what is buffered, once; events that still cannot be sent are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();

    if (this.buffer.length > 0) {
      this.options.logger.warn({ events: this.buffer.length }, 'guard closed with usage events it could not send; they are dropped');
      this.dropped += this.buffer.length;
      this.buffer = [];
    }
  }

  get pending(): number {
    return this.buffer.length;
  }

  report(principal: Principal, report: UsageReport): void {
    if (this.closed) {
      this.dropped += 1;
      return;
    }

    const event = toEvent(principal, report, new Date(this.options.now()).toISOString());
    if (!event) {
      this.dropped += 1;
      this.options.logger.debug({ method: report?.method, status: report?.status }, 'guard dropped a usage report with a missing or oversized field');
      return;
    }

    this.buffer.push(event);

    if (this.buffer.length > this.options.maxBuffer) {
      this.buffer.shift();
      this.dropped += 1;
    }
    // A full batch goes out at once instead of waiting for the timer.
    if (this.buffer.length >= MAX_EVENTS_PER_REQUEST && !this.flushing) void this.flush();
  }

  /** Sends every buffered event in batches; stops at the first batch that must be retried. */
  flush(): Promise<void> {
    this.flushing ??= this.sendAll().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async sendAll(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, MAX_EVENTS_PER_REQUEST);
      const outcome = await this.send(batch);
      if (outcome === 'retry') {
        this.requeue(batch);
        return;
      }
    }
  }

  /** Puts a failed batch back in front of newer events, dropping the oldest beyond maxBuffer. */
  private requeue(batch: UsageEvent[]): void {
    this.buffer = batch.concat(this.buffer);
    const excess = this.buffer.length - this.options.maxBuffer;
    if (excess > 0) {
      this.buffer.splice(0, excess);
      this.dropped += excess;
    }
  }

  private async send(events: UsageEvent[]): Promise<SendOutcome> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { authorization: this.authorization, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ audience: this.options.audience, events }),
        signal: AbortSignal.timeout(ISSUER_REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      this.recordFailure({ err: error }, 'sending usage events failed');
      return 'retry';
    }

    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.status === 202) {
      this.recordSuccess();
      const accepted = typeof body.accepted === 'number' ? body.accepted : events.length;
      const rejected = typeof body.rejected === 'number' ? body.rejected : 0;
      this.sent += accepted;
      this.dropped += rejected;
      if (rejected > 0) this.options.logger.debug({ accepted, rejected }, 'the usage endpoint rejected some events');
      return 'done';
    }

    const details = { status: response.status, error: body.error, errorDescription: body.error_description, events: events.length };
    if (response.status === 429 || response.status >= 500) {
      this.recordFailure(details, 'the usage endpoint failed');
      return 'retry';
    }

    // 400 (malformed body), 401 (client authentication failed) and 403 (no grant on this audience) do not heal on retry.
    this.dropped += events.length;
    if (this.loggedRejection !== response.status) {
      this.loggedRejection = response.status;
      this.options.logger.error(details, 'the usage endpoint rejected a batch of usage events; they are dropped, and later rejections with this status are not logged');
    }
    return 'done';
  }

  private recordSuccess(): void {
    this.loggedRejection = undefined;
    if (!this.failing) return;
    this.failing = false;
    this.options.logger.info({ url: this.url.href }, 'the usage endpoint is reachable again');
  }

  private recordFailure(details: Record<string, unknown>, message: string): void {
    if (this.failing) return;
    this.failing = true;
    this.options.logger.warn({ url: this.url.href, ...details }, `${message}; the events stay buffered and are retried every ${this.options.flushIntervalMs} ms`);
  }
}
