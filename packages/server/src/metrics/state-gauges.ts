import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ServerContext } from '../context.js';
import type { Database } from '../storage/tables.js';

type StateSources = Pick<ServerContext, 'db' | 'clock' | 'audit' | 'lastUsed' | 'policies' | 'keyRing' | 'tokenClients' | 'verifiedTokens'>;

/**
 * Gauges of the server's state, read when Prometheus scrapes: in-memory queues and caches
 * through collect callbacks, and database state (notification deliveries, audit sink lag)
 * through two small queries per scrape, so that the request path does no extra work.
 */
export class StateGauges {
  private readonly deliveries: Gauge<'status'>;
  private readonly oldestPendingDelivery: Gauge;
  private readonly sinkLag: Gauge<'sink_id' | 'sink_name'>;
  private readonly refreshFailures: Counter<'source'>;
  /** Sources whose last refresh failed, so that a long outage logs once rather than every scrape. */
  private readonly failing = new Set<string>();

  constructor(
    registry: Registry,
    private readonly sources: StateSources,
    private readonly logger: Logger,
    pool: pg.Pool | undefined,
  ) {
    const { audit, lastUsed, policies, keyRing, clock, tokenClients, verifiedTokens } = sources;
    const registers = [registry];

    new Gauge({ name: 'tessera_audit_queue_events', help: 'Audit events waiting for their group commit, including those in the commit that is running.', registers, collect() {
      this.set(audit.pendingEvents);
    } });
    new Gauge({ name: 'tessera_audit_write_lag_seconds', help: 'Age of the oldest audit event not yet committed, or 0 when none waits.', registers, collect() {
      const oldest = audit.oldestPendingAt;
      this.set(oldest === null ? 0 : Math.max(0, clock.now() - oldest) / 1000);
    } });
    new Gauge({ name: 'tessera_last_used_pending_credentials', help: 'Credentials whose last use is kept in memory and not yet written to the database.', registers, collect() {
      this.set(lastUsed.pendingCount);
    } });
    new Counter({ name: 'tessera_policy_cache_lookups_total', help: 'Policy lookups by result: hit (served from the node cache) or miss (read from the database).', labelNames: ['result'], registers, collect() {
      this.reset();
      this.inc({ result: 'hit' }, policies.cacheStats.hits);
      this.inc({ result: 'miss' }, policies.cacheStats.misses);
    } });
    new Counter({ name: 'tessera_token_client_cache_lookups_total', help: 'Token client lookups by result: hit (rows served from memory) or miss (read from the database).', labelNames: ['result'], registers, collect() {
      this.reset();
      this.inc({ result: 'hit' }, tokenClients.stats.hits);
      this.inc({ result: 'miss' }, tokenClients.stats.misses);
    } });
    new Counter({ name: 'tessera_token_client_cache_invalidations_total', help: 'Times the token client cache was emptied because accounts, credentials, grants or instances changed.', registers, collect() {
      this.reset();
      this.inc(tokenClients.stats.invalidations);
    } });
    new Gauge({ name: 'tessera_token_client_cache_entries', help: 'Accounts whose token client rows this node keeps in memory.', registers, collect() {
      this.set(tokenClients.size);
    } });
    new Gauge({ name: 'tessera_verified_token_cache_entries', help: 'Access tokens whose verified signature this node keeps in memory.', registers, collect() {
      this.set(verifiedTokens.size);
    } });
    new Gauge({ name: 'tessera_signing_keys_published', help: 'Signing keys this node publishes in the JWKS now.', registers, collect() {
      this.set(keyRing.publishedKeys().length);
    } });

    if (pool) {
      new Gauge({ name: 'tessera_db_pool_connections', help: 'PostgreSQL pool connections by state: total (open) and idle.', labelNames: ['state'], registers, collect() {
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
      } });
      new Gauge({ name: 'tessera_db_pool_waiting_requests', help: 'Queries waiting for a free PostgreSQL pool connection.', registers, collect() {
        this.set(pool.waitingCount);
      } });
    }

    this.deliveries = new Gauge({ name: 'tessera_notification_deliveries', help: 'Notification deliveries by status: pending (to be sent or retried) and failed (given up).', labelNames: ['status'], registers });
    this.oldestPendingDelivery = new Gauge({ name: 'tessera_notification_oldest_pending_age_seconds', help: 'Age of the oldest pending notification delivery, or 0 when none is pending.', registers });
    this.sinkLag = new Gauge({ name: 'tessera_audit_sink_lag_events', help: 'Audit events not yet delivered to each enabled audit sink.', labelNames: ['sink_id', 'sink_name'], registers });
    this.refreshFailures = new Counter({ name: 'tessera_metrics_refresh_failures_total', help: 'Scrapes whose database-backed gauges could not be read, by source. Such a scrape shows those gauges empty or at 0.', labelNames: ['source'], registers });
  }

  /** Reads the database-backed gauges. ServerMetrics.render() calls it before rendering the registry. */
  async refresh(): Promise<void> {
    await Promise.all([this.attempt('notifications', () => this.refreshDeliveries()), this.attempt('audit_sinks', () => this.refreshSinkLag())]);
  }

  private async attempt(source: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
      if (this.failing.delete(source)) this.logger.info({ source }, 'reading metrics from the database succeeded again');
    } catch (error) {
      this.refreshFailures.inc({ source });
      if (!this.failing.has(source)) this.logger.warn({ err: error, source }, 'reading metrics from the database failed; its gauges stay empty or at 0 until a scrape reads them');
      this.failing.add(source);
    }
  }

  private async refreshDeliveries(): Promise<void> {
    const db: Kysely<Database> = this.sources.db;
    this.deliveries.reset();
    this.oldestPendingDelivery.reset();
    const rows = await db
      .selectFrom('notification_deliveries')
      .select((eb) => ['status', eb.fn.countAll<number>().as('count'), eb.fn.min('created_at').as('oldest')])
      .where('status', 'in', ['pending', 'failed'])
      .groupBy('status')
      .execute();

    this.deliveries.set({ status: 'pending' }, 0);
    this.deliveries.set({ status: 'failed' }, 0);
    this.oldestPendingDelivery.set(0);
    for (const row of rows) {
      this.deliveries.set({ status: row.status }, Number(row.count));
      if (row.status === 'pending' && row.oldest !== null) this.oldestPendingDelivery.set(Math.max(0, this.sources.clock.now() - Number(row.oldest)) / 1000);
    }
  }

  private async refreshSinkLag(): Promise<void> {
    const db: Kysely<Database> = this.sources.db;
    this.sinkLag.reset();
    const [sinks, head] = await Promise.all([
      db.selectFrom('audit_sinks').select(['id', 'name', 'cursor_seq']).where('enabled', '=', 1).execute(),
      db.selectFrom('audit_events').select('seq').orderBy('seq', 'desc').limit(1).executeTakeFirst(),
    ]);

    const headSeq = head ? Number(head.seq) : 0;
    for (const sink of sinks) this.sinkLag.set({ sink_id: sink.id, sink_name: sink.name }, Math.max(0, headSeq - Number(sink.cursor_seq)));
  }
}
