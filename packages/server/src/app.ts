import { createServer } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { registerOpenApi } from './admin-api/openapi.js';
import { adminApi } from './admin-api/plugin.js';
import { sql } from 'kysely';
import type { ServerContext } from './context.js';
import { isDatabaseUnavailable } from './storage/database.js';
import { guardRoutes } from './guard-api/routes.js';
import { plainOAuthHandler } from './oauth/plain-http.js';
import { oauthRoutes } from './oauth/routes.js';
import { registerMetricsRoute } from './metrics/route.js';
import { echoRequestId, requestIdFor } from './request-id.js';
import { registerPanel } from './web/static-files.js';

/** How often a closing server closes the keep-alive connections that have become idle. */
const IDLE_CLOSE_INTERVAL_MS = 100;

/**
 * Reads the client address from another header (such as X-Real-IP) by putting its value where
 * Fastify's proxy handling looks. A client's own X-Forwarded-For is dropped, so that only the
 * configured header, set by the proxy, can name the client.
 */
function useClientIpHeader(app: FastifyInstance, header: string): void {
  app.addHook('onRequest', async (request) => {
    const value = request.raw.headers[header];
    delete request.raw.headers['x-forwarded-for'];
    if (typeof value === 'string') request.raw.headers['x-forwarded-for'] = value;
  });
}

/**
 * Builds the HTTP application. Schema validation is strict: unknown fields are rejected
 * rather than stripped, and no value is coerced to another type.
 */
export async function buildApp(ctx: ServerContext): Promise<FastifyInstance> {
  let closing = false;
  const plainOAuth = plainOAuthHandler(ctx, () => closing);

  const app = Fastify({
    // Well-formed token and introspection requests are handled ahead of Fastify (plain-http.ts).
    serverFactory: (handler, options) => {
      // Fastify passes its options with the defaults filled in, and sets these timeouts only on a server it creates.
      const timeouts = options as { keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number };
      const server = createServer((request, response) => {
        if (!plainOAuth(request, response)) handler(request, response);
      });
      server.keepAliveTimeout = timeouts.keepAliveTimeout;
      server.requestTimeout = timeouts.requestTimeout;
      server.setTimeout(timeouts.connectionTimeout);
      return server;
    },
    loggerInstance: ctx.logger as FastifyBaseLogger,
    // Nothing is logged per request at the default level; failures log where they are handled.
    // Every log line of a request carries its id as reqId. request-id.ts decides which incoming ids are kept.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    genReqId: requestIdFor,
    // proxy-addr walks X-Forwarded-For from the right and stops at the first address that is not a trusted proxy.
    trustProxy: ctx.config.trustedProxies.length > 0 ? ctx.config.trustedProxies : false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  });

  app.addHook('preClose', (done) => {
    closing = true;
    // Node closes the connections that are idle when the server closes. One whose response
    // was still going out stays open for its keep-alive timeout (72 s) after that, and the
    // close waits for it, so idle connections are closed again until the server has closed.
    const closeIdle = setInterval(() => app.server.closeIdleConnections(), IDLE_CLOSE_INTERVAL_MS);
    closeIdle.unref();
    app.server.once('close', () => clearInterval(closeIdle));
    done();
  });
  if (ctx.config.trustedProxies.length > 0 && ctx.config.clientIpHeader !== 'x-forwarded-for') useClientIpHeader(app, ctx.config.clientIpHeader);
  echoRequestId(app);
  await registerOpenApi(app, ctx.config.issuer);
  await app.register(async (scope) => oauthRoutes(scope, ctx));
  await app.register(async (scope) => guardRoutes(scope, ctx));
  await app.register(async (scope) => adminApi(scope, ctx), { prefix: '/api/v1' });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await sql`select 1`.execute(ctx.db);
      ctx.keyRing.currentKey();
      return { status: 'ready' };
    } catch (error) {
      return reply.code(503).send({ status: 'unavailable', reason: isDatabaseUnavailable(error) ? 'database unreachable' : 'no signing key' });
    }
  });
  registerMetricsRoute(app, ctx);
  registerPanel(app);

  return app;
}
