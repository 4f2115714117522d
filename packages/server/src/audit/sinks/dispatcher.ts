import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { KeyMaterial } from '../../crypto/master-key.js';
import { claimAuditSink, dueAuditSinks, eventsAfter, recordDelivery, recordFailure, releaseAuditSinks } from '../../storage/audit-sinks.js';
import type { AuditSinkRow, Database } from '../../storage/tables.js';
import { durableRows } from '../durable-rows.js';
import { deliverBatch } from './deliver.js';

export const BATCH_SIZE = 500;
/** How long a node's claim on a sink lasts after it was last renewed. Another node takes over once it lapses. */
export const LEASE_MS = 30_000;
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60_000;
/** Time a stopping server gives the batch in flight before abandoning it. */
const CLOSE_GRACE_MS = 2000;
/** Delay after a local audit write before delivering, so that writes close together share a batch. */
const WAKE_DELAY_MS = 50;

/** Exponential backoff after `failures` failed deliveries in a row: 1 s, 2 s, 4 s … up to 60 s. */
export function backoffMs(failures: number): number {
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.min(failures - 1, 16));
}

/**
 * Delivers the audit log to every enabled sink, at least once and in seq order. Each sink's
 * cursor moves only after the sink accepted a batch, so a restart resumes where delivery
 * stopped. Backoff and leases follow the injected clock; polling uses real timers.
 */
export class AuditSinkDispatcher {
  /** Identifies this node in sink leases. */
  readonly owner = `node-${randomBytes(8).toString('hex')}`;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private hasSinks = true;
  private readonly abort = new AbortController();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly keyMaterial: KeyMaterial,
    private readonly pollMs: number,
    /** The first seq not yet durable, or null, read after each query (AuditWriter.firstUnsyncedSeq). */
    private readonly firstUnsyncedSeq: () => number | null = () => null,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Called after local audit writes and sink changes, to deliver sooner than the next poll. */
  wake(sinksChanged = false): void {
    if (sinksChanged) this.hasSinks = true;
    if (this.stopped || !this.hasSinks) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(WAKE_DELAY_MS);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.tick().finally(() => {
        this.running = null;
        const soon = this.again;
        this.again = false;
        this.schedule(soon ? WAKE_DELAY_MS : this.pollMs);
      });
    }, delayMs);
  }

  /** Delivers one round: each due sink this node can claim gets batches until it is caught up or fails. */
  async tick(): Promise<void> {
    try {
      const sinks = await dueAuditSinks(this.db, this.clock.now(), this.owner);
      this.hasSinks = sinks.length > 0;
      for (const sink of sinks) {
        if (this.stopped) return;
        await this.drain(sink);
      }
    } catch (error) {
      this.logger.warn({ err: error }, `audit sink delivery round failed; retrying in ${this.pollMs} ms`);
    }
  }

  private async drain(sink: AuditSinkRow): Promise<void> {
    let cursor = Number(sink.cursor_seq);
    let failures = sink.failures;

    while (!this.stopped) {
      const now = this.clock.now();
      if (!(await claimAuditSink(this.db, sink.id, this.owner, now, LEASE_MS))) return;

      const rows = durableRows(await eventsAfter(this.db, cursor, BATCH_SIZE), this.firstUnsyncedSeq());
      if (rows.length === 0) return;
      const lastSeq = Number(rows.at(-1)!.seq);

      try {
        await deliverBatch(this.db, this.keyMaterial, sink, rows, now, this.abort.signal);
      } catch (error) {
        if (this.abort.signal.aborted) {
          this.logger.info({ sinkId: sink.id, fromSeq: Number(rows[0].seq), toSeq: lastSeq }, 'abandoned an audit sink batch because the server is stopping; it is sent again after the restart');
          return;
        }
        failures += 1;
        const message = (error as Error).message.slice(0, 500);
        const retryIn = backoffMs(failures);
        await recordFailure(this.db, sink.id, failures, message, this.clock.now(), this.clock.now() + retryIn);
        this.logger.warn({ sinkId: sink.id, sinkName: sink.name, failures, retryInMs: retryIn, error: message }, 'audit sink delivery failed; retrying after the backoff');
        return;
      }

      if (!(await recordDelivery(this.db, sink.id, this.owner, cursor, lastSeq, this.clock.now()))) {
        this.logger.warn({ sinkId: sink.id }, 'audit sink changed or lost its lease during a delivery; the cursor was not moved');
        return;
      }
      if (failures > 0) this.logger.info({ sinkId: sink.id, sinkName: sink.name, failures }, 'audit sink delivers again after failures');
      failures = 0;
      cursor = lastSeq;
    }
  }

  /** Stops polling, gives the batch in flight a moment to finish, then abandons it and releases this node's leases. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;

    const grace = setTimeout(() => this.abort.abort(), CLOSE_GRACE_MS);
    await this.running;
    clearTimeout(grace);
    await releaseAuditSinks(this.db, this.owner).catch((error) => this.logger.warn({ err: error }, 'releasing audit sink leases failed; they lapse by themselves'));
  }
}
