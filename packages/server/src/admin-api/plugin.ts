import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { auditEventRoutes } from './audit-events.js';
import { requireAdmin } from './auth.js';
import { credentialRoutes } from './credentials.js';
import { instanceRoutes } from './instances.js';
import { problemOf, handleAdminError, sendProblem } from './problem.js';
import { profileRoutes } from './profiles.js';
import { openApiRoute } from './openapi.js';
import { accountUsageRoutes } from './account-usage.js';
import { serviceAccountRoutes } from './service-accounts.js';
import { sessionRoutes } from './session-routes.js';
import { signingKeyRoutes } from './signing-keys.js';
import { parseStrictJson } from './strict-json.js';

export const ADMIN_BODY_LIMIT = 1024 * 1024;

/** Registers the admin REST API under /api/v1, which takes JSON and returns JSON or RFC 9457 problem details. */
export async function adminApi(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: ADMIN_BODY_LIMIT }, (_request, body, done) => {
    try {
      done(null, parseStrictJson(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.setErrorHandler(handleAdminError);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problemOf('route_not_found', `No admin API route matches ${request.method} ${request.url.split('?')[0]}; see /api/v1/openapi.json for the routes.`)),
  );

  openApiRoute(app);
  await app.register(async (scope) => sessionRoutes(scope, ctx));

  // Authentication runs on request, before the body is read, so that a caller who is not
  // signed in learns that first rather than how to fix a body it cannot submit anyway.
  await app.register(async (authenticated) => {
    authenticated.addHook('onRequest', requireAdmin(ctx));
    for (const routes of [instanceRoutes, serviceAccountRoutes, credentialRoutes, auditEventRoutes, signingKeyRoutes, profileRoutes, accountUsageRoutes]) {
      await authenticated.register(async (scope) => routes(scope, ctx));
    }
  });
}
