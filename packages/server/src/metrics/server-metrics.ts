import type pg from 'pg';
import type { Logger } from 'pino';
import { Counter, Histogram, Registry } from 'prom-client';
import type { AuditWriterObserver } from '../audit/writer.js';
import type { ServerContext } from '../context.js';
import { AdminApiMetrics } from './admin-api-metrics.js';
import { LATENCY_BUCKETS, OAuthMetrics } from './oauth-metrics.js';
import { sharedProcessRegistry } from './process-metrics.js';
import { StateGauges } from './state-gauges.js';

/** Group-commit batch sizes, from a lone event to a burst under load. */
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/**
 * The metrics of one server. Each server has a registry of its own, so that several servers in
 * one process (as in the tests) never share or collide on a series. Only the process metrics
 * are shared, because they describe the process.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly oauth: OAuthMetrics;
  readonly adminApi: AdminApiMetrics;
  readonly auditObserver: AuditWriterObserver;
  private readonly state: StateGauges;

  constructor(sources: Pick<ServerContext, 'db' | 'clock' | 'audit' | 'lastUsed' | 'policies' | 'keyRing' | 'tokenClients' | 'verifiedTokens'>, logger: Logger, pool: pg.Pool | undefined) {
    this.oauth = new OAuthMetrics(this.registry);
    this.adminApi = new AdminApiMetrics(this.registry);
    this.auditObserver = auditWriterMetrics(this.registry);
    this.state = new StateGauges(this.registry, sources, logger, pool);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Renders this server's metrics and the process metrics in the Prometheus text format. */
  async render(): Promise<string> {
    await this.state.refresh();
    const [own, process] = await Promise.all([this.registry.metrics(), sharedProcessRegistry().metrics()]);
    return `${own}\n${process}`;
  }
}

function auditWriterMetrics(registry: Registry): AuditWriterObserver {
  const registers = [registry];
  const written = new Counter({ name: 'tessera_audit_events_written_total', help: 'Audit events committed to the database, by group commit and inside admin transactions.', registers });
  const batchSize = new Histogram({ name: 'tessera_audit_group_commit_events', help: 'Events per audit group commit.', buckets: BATCH_BUCKETS, registers });
  const commitLatency = new Histogram({
    name: 'tessera_audit_group_commit_duration_seconds',
    help: 'Time of one audit group commit, including the wait for the audit chain lock.',
    buckets: LATENCY_BUCKETS,
    registers,
  });

  return {
    groupCommitted(events, seconds) {
      written.inc(events);
      batchSize.observe(events);
      commitLatency.observe(seconds);
    },
    transactionCommitted(events) {
      written.inc(events);
    },
  };
}
