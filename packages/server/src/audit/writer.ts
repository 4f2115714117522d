import { type Kysely, sql } from 'kysely';
import type SQLite from 'better-sqlite3';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { AUDIT_CHAIN_LOCK } from '../storage/advisory-locks.js';
import type { DialectName } from '../storage/database.js';
import type { AuditEventRow, Database } from '../storage/tables.js';
import { type AuditRowStore, type ChainTail, queryBuilderRowStore } from './row-store.js';
import { GENESIS_HASH, hashEvent } from './chain.js';
import type { AuditEventInput } from './event.js';
import { PostgresAuditCommit } from './postgres-commit.js';
import { SqliteAuditCommit } from './sqlite-commit.js';

interface Pending {
  event: AuditEventInput;
  occurredAt: number;
  /** Rows that must commit together with the event, such as an opaque token. */
  alongside?: (trx: Kysely<Database>) => Promise<void>;
}

/**
 * The events of one group commit and the one promise that all their writers wait on, so that
 * a write makes no promise or closure of its own.
 */
class Batch {
  readonly events: Pending[] = [];
  readonly committed: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;

  constructor() {
    this.committed = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

function toRow(event: AuditEventInput, occurredAt: number, seq: number, prevHash: string, key: Buffer): AuditEventRow {
  const row: Omit<AuditEventRow, 'hash'> = {
    seq,
    occurred_at: occurredAt,
    actor_type: event.actor.type,
    actor_id: event.actor.id ?? null,
    credential_id: event.actor.credentialId ?? null,
    action: event.action,
    target_type: event.target?.type ?? null,
    target_id: event.target?.id ?? null,
    instance_id: event.instanceId ?? null,
    source_ip: event.source?.ip ?? null,
    user_agent: event.source?.userAgent ?? null,
    outcome: event.outcome,
    reason: event.reason ?? null,
    details: event.details ? JSON.stringify(event.details) : null,
    prev_hash: prevHash,
  };
  return { ...row, hash: hashEvent(row, key) };
}

/**
 * Appends events to the hash chain inside the caller's transaction and returns the first
 * event's seq. Every write to audit_events goes through here, and all writes share one
 * connection on SQLite, so the chain's tail cannot move between reading it and inserting.
 */
export async function appendAuditEvents(
  trx: Kysely<Database>,
  events: { event: AuditEventInput; occurredAt: number }[],
  key: Buffer,
  store: AuditRowStore = queryBuilderRowStore,
): Promise<number> {
  const tail = await store.tail(trx);
  const rows = chainRows(events, tail, key);
  await store.insert(trx, rows);
  return rows[0]?.seq ?? (tail ? Number(tail.seq) + 1 : 1);
}

/** Turns events into the rows that follow the chain's end `tail`, each hashed over the one before. */
function chainRows(events: { event: AuditEventInput; occurredAt: number }[], tail: ChainTail | undefined, key: Buffer): AuditEventRow[] {
  let seq = tail ? Number(tail.seq) : 0;
  let prevHash = tail?.hash ?? GENESIS_HASH;

  const rows: AuditEventRow[] = [];
  for (const { event, occurredAt } of events) {
    seq += 1;
    const row = toRow(event, occurredAt, seq, prevHash, key);
    prevHash = row.hash;
    rows.push(row);
  }
  return rows;
}

/** Receives what the writer committed, for metrics. */
export interface AuditWriterObserver {
  /** One group commit of `events` events that took `seconds`, including the wait for the chain lock. */
  groupCommitted(events: number, seconds: number): void;
  /** Events appended inside a transaction from `transaction()`, counted once it committed. */
  transactionCommitted(events: number): void;
}

/**
 * Group commit for audit events: callers await `write()`, which resolves once the event is
 * committed to the database. Events that arrive while a commit is running go into the next
 * commit together, so the number of durable commits stays low under load.
 */
export class AuditWriter {
  /** The batch that takes new events, or null until the next write. */
  private queue: Batch | null = null;
  private flushing: Promise<void> | null = null;
  private closed = false;
  /** The events that the running commit writes. */
  private committing: Pending[] = [];
  /** Events appended through writeInTransaction, per open transaction. */
  private readonly appendedIn = new WeakMap<object, number>();
  observer: AuditWriterObserver | null = null;
  private readonly postgresCommit: PostgresAuditCommit | null;
  private readonly sqliteCommit: SqliteAuditCommit | null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly chainKey: Buffer,
    private readonly dialect: DialectName,
    private readonly rowStore: AuditRowStore = queryBuilderRowStore,
    /** The PostgreSQL pool, for group commits in fewer round trips than the query builder's (postgres-commit.ts). */
    postgresPool?: pg.Pool,
    /** The SQLite connection, for group commits that sync the WAL off the event loop (sqlite-commit.ts). */
    sqlite?: SQLite.Database,
  ) {
    this.postgresCommit = postgresPool ? new PostgresAuditCommit(postgresPool) : null;
    this.sqliteCommit = sqlite && SqliteAuditCommit.applies(sqlite) ? new SqliteAuditCommit(db, sqlite) : null;
  }

  /**
   * Runs `work` in a transaction that may append audit events. On PostgreSQL it first takes
   * the audit chain's advisory lock, so that nodes append one at a time and the chain stays
   * one chain; taking it first, before any row lock, also keeps two admin changes from
   * deadlocking each other.
   */
  async transaction<T>(work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    let transaction: object | undefined;
    const result = await this.db.transaction().execute(async (trx) => {
      transaction = trx;
      await this.lockChain(trx);
      return work(trx);
    });
    this.postgresCommit?.forgetTail();
    const appended = transaction ? this.appendedIn.get(transaction) : undefined;
    if (appended) this.observer?.transactionCommitted(appended);
    this.onCommit?.();
    return result;
  }

  /** Called after each committed transaction that could have appended events; the sink dispatcher uses it to deliver sooner. */
  onCommit: (() => void) | null = null;

  private async lockChain(trx: Kysely<Database>): Promise<void> {
    if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`.execute(trx);
  }

  write(event: AuditEventInput, alongside?: (trx: Kysely<Database>) => Promise<void>): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The audit writer is closed; the server is shutting down.'));

    this.queue ??= new Batch();
    this.queue.events.push({ event, occurredAt: this.clock.now(), alongside });
    if (!this.flushing) this.flushing = this.flushLoop();
    return this.queue.committed;
  }

  /** Appends events inside a transaction from `transaction()`, for changes that must commit with their audit. */
  async writeInTransaction(trx: Kysely<Database>, events: AuditEventInput[]): Promise<void> {
    const occurredAt = this.clock.now();
    this.appendedIn.set(trx, (this.appendedIn.get(trx) ?? 0) + events.length);
    await appendAuditEvents(trx, events.map((event) => ({ event, occurredAt })), this.chainKey, this.rowStore);
  }

  /**
   * The first seq that is committed but not yet durable, or null when every committed event is.
   * Only SQLite group commits leave such events, between their commit and their WAL sync.
   */
  get firstUnsyncedSeq(): number | null {
    return this.sqliteCommit?.firstUnsyncedSeq ?? null;
  }

  private async flushLoop(): Promise<void> {
    // Yield once so that events from requests handled in the same turn join this batch.
    await new Promise<void>((resolve) => setImmediate(resolve));

    while (this.queue !== null) {
      const batch = this.queue;
      const { events } = batch;
      this.queue = null;
      this.committing = events;
      const startedAt = performance.now();
      try {
        await this.commitGroup(events);
        this.observer?.groupCommitted(events.length, (performance.now() - startedAt) / 1000);
        batch.resolve();
      } catch (error) {
        this.logger.error({ err: error, events: events.length }, 'audit write failed; the requests waiting on it fail');
        batch.reject(error);
      }
      this.committing = [];
    }
    this.flushing = null;
  }

  /**
   * Commits one group of events. Rows that must commit with an event (`alongside`) are written
   * through the query builder, so a group with any of them takes the query builder's path.
   */
  private async commitGroup(events: Pending[]): Promise<void> {
    if (this.postgresCommit && !hasAlongside(events)) {
      await this.postgresCommit.commit((tail) => chainRows(events, tail, this.chainKey));
      this.onCommit?.();
      return;
    }

    const append = async (trx: Kysely<Database>) => {
      for (const pending of events) await pending.alongside?.(trx);
      return appendAuditEvents(trx, events, this.chainKey, this.rowStore);
    };

    // A lone event usually means that no other request waits for the loop. There the thread
    // pool's handoff only adds latency, so the event commits with FULL like any transaction.
    if (this.sqliteCommit && events.length > 1) {
      await this.sqliteCommit.commit(append);
      this.onCommit?.();
      return;
    }

    await this.transaction(append);
  }

  /** Events whose write() has not resolved yet: queued ones and those in the running commit. */
  get pendingEvents(): number {
    return (this.queue?.events.length ?? 0) + this.committing.length;
  }

  /** Occurrence time (clock milliseconds) of the oldest event not yet committed, or null when none waits. */
  get oldestPendingAt(): number | null {
    return (this.committing[0] ?? this.queue?.events[0])?.occurredAt ?? null;
  }

  /** Waits for queued events to commit, then rejects new ones. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    this.sqliteCommit?.close();
  }
}

function hasAlongside(events: Pending[]): boolean {
  for (const pending of events) if (pending.alongside) return true;
  return false;
}
