import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { registerOpenApi } from './admin-api/openapi.js';
import { adminApi } from './admin-api/plugin.js';
import { sql } from 'kysely';
import type { ServerContext } from './context.js';
import { isDatabaseUnavailable } from './storage/database.js';
import { guardRoutes } from './guard-api/routes.js';
import { oauthRoutes } from './oauth/routes.js';
import { registerPanel } from './web/static-files.js';

/**
 * Builds the HTTP application. Schema validation is strict: unknown fields are rejected
 * rather than stripped, and no value is coerced to another type.
 */
export async function buildApp(ctx: ServerContext): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    // Nothing is logged per request at the default level; failures log where they are handled.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  });

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
  registerPanel(app);

  return app;
}
