import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS } from './oauth-metrics.js';

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/**
 * Admin API requests by method, route template and status class. The route label is the
 * template (such as /api/v1/service-accounts/:id), never the requested path, so the number
 * of series is bounded by the number of routes.
 */
export class AdminApiMetrics {
  private readonly requests: Counter<'method' | 'route' | 'status_class'>;
  private readonly latency: Histogram<'method' | 'route' | 'status_class'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'tessera_admin_api_requests_total',
      help: 'Admin API requests by method, route template and status class (2xx, 4xx, 5xx).',
      labelNames: ['method', 'route', 'status_class'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'tessera_admin_api_request_duration_seconds',
      help: 'Admin API request latency by method, route template and status class.',
      labelNames: ['method', 'route', 'status_class'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
  }

  /** Records a finished admin API request, as an onResponse hook of the admin API scope. */
  readonly onResponse = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    // Requests that match no route share one label, so that scanned paths add no series.
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route, status_class: STATUS_CLASSES[Math.floor(reply.statusCode / 100) - 1] ?? 'other' };
    this.requests.inc(labels);
    this.latency.observe(labels, reply.elapsedTime / 1000);
  };
}
