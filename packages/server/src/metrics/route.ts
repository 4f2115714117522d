import { createHash, timingSafeEqual } from 'node:crypto';
import { METRICS_ERRORS, type MetricsErrorCode } from '@tessera/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.js';

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function sendMetricsProblem(reply: FastifyReply, code: MetricsErrorCode, detail: string): FastifyReply {
  const { status, title } = METRICS_ERRORS[code];
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="tessera-metrics"');
  return reply.code(status).header('content-type', 'application/problem+json; charset=utf-8').send({ type: `urn:tessera:error:${code}`, title, status, code, detail });
}

/**
 * Checks that the TCP peer is a loopback address and that the request carries no forwarding
 * header. A reverse proxy on the same host connects from loopback too, but it adds
 * such a header, so a request it forwards from outside is not taken for a local one.
 */
function isDirectLoopback(request: FastifyRequest, clientIpHeader: string): boolean {
  const headers = request.headers;
  if (headers.forwarded !== undefined || headers['x-forwarded-for'] !== undefined || headers[clientIpHeader] !== undefined) return false;
  return LOOPBACK.test(request.socket.remoteAddress ?? '');
}

/**
 * Serves the Prometheus metrics at GET /metrics. With TESSERA_METRICS_TOKEN set, every caller,
 * loopback included, must send it as a bearer token. Without it, only direct loopback callers
 * are served. Metrics name no client, account or secret, but they show load and internals, so
 * they are never public by default.
 */
export function registerMetricsRoute(app: FastifyInstance, ctx: ServerContext): void {
  const expected = ctx.config.metricsToken === undefined ? undefined : digest(ctx.config.metricsToken);

  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (expected) {
      const header = request.headers.authorization ?? '';
      const presented = /^Bearer [^\s]+$/i.test(header) ? header.slice(7) : '';
      // Comparing digests of equal length keeps the time independent of the token's length and content.
      if (!presented || !timingSafeEqual(digest(presented), expected)) {
        return sendMetricsProblem(reply, 'metrics_token_invalid', 'Send the value of TESSERA_METRICS_TOKEN as Authorization: Bearer <token>.');
      }
    } else if (!isDirectLoopback(request, ctx.config.clientIpHeader)) {
      return sendMetricsProblem(reply, 'metrics_forbidden', 'Scrape from the same host, or set TESSERA_METRICS_TOKEN and send it as a bearer token.');
    }

    const body = await ctx.metrics.render();
    return reply.header('content-type', ctx.metrics.contentType).header('cache-control', 'no-store').send(body);
  });
}
