import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { auditEventRoutes } from './audit-events.js';
import { auditRetentionRoutes } from './audit-retention.js';
import { auditSinkRoutes } from './audit-sinks.js';
import { requireAdmin } from './auth.js';
import { credentialRoutes } from './credentials.js';
import { federationRoutes } from './federations.js';
import { instanceRoutes } from './instances.js';
import { notificationRoutes } from './notifications.js';
import { problemOf, handleAdminError, sendProblem } from './problem.js';
import { auditForbidden } from './permissions.js';
import { RequestError } from '../accounts/errors.js';
import { policyRoutes } from './policy.js';
import { adminRoutes } from './admins.js';
import { reportRoutes } from './reports.js';
import { profileRoutes } from './profiles.js';
import { openApiRoute } from './openapi.js';
import { accountUsageRoutes } from './account-usage.js';
import { seatRoutes } from './seats.js';
import { migrationRoutes } from './migrations.js';
import { serviceAccountRoutes } from './service-accounts.js';
import { oidcRoutes } from './oidc-routes.js';
import { sessionRoutes } from './session-routes.js';
import { signingKeyRoutes } from './signing-keys.js';
import { decodeUtf8, parseStrictJson } from './strict-json.js';
import { releaseUnstoredKeys } from './idempotency.js';

export const ADMIN_BODY_LIMIT = 1024 * 1024;

/** Registers the admin REST API under /api/v1, which takes JSON and returns JSON or RFC 9457 problem details. */
export async function adminApi(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: ADMIN_BODY_LIMIT }, (request, body, done) => {
    try {
      done(null, parseStrictJson(decodeUtf8(body as Buffer, request.headers['content-type'])));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.addHook('onResponse', ctx.metrics.adminApi.onResponse);

  // A POST that only triggers an action (rotate, revoke, create a credential) may have no body.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && (request.method === 'POST' || request.method === 'PATCH')) request.body = {};
  });

  app.setErrorHandler(async (error: Parameters<typeof handleAdminError>[0], request, reply) => {
    if (error instanceof RequestError && error.code === 'forbidden') await auditForbidden(ctx, request, error);
    return handleAdminError(error, request, reply);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problemOf('route_not_found', `No admin API route matches ${request.method} ${request.url.split('?')[0]}; see /api/v1/openapi.json for the routes.`)),
  );

  openApiRoute(app);
  await app.register(async (scope) => sessionRoutes(scope, ctx));
  await app.register(async (scope) => oidcRoutes(scope, ctx));

  // Authentication runs on request, before the body is read, so that a caller who is not
  // signed in learns that first rather than how to fix a body it cannot submit anyway.
  await app.register(async (authenticated) => {
    authenticated.addHook('onRequest', requireAdmin(ctx));
    authenticated.addHook('onSend', releaseUnstoredKeys(ctx));
    for (const routes of [instanceRoutes, serviceAccountRoutes, credentialRoutes, federationRoutes, auditEventRoutes, signingKeyRoutes, profileRoutes, accountUsageRoutes, policyRoutes, adminRoutes, notificationRoutes, reportRoutes, seatRoutes, migrationRoutes, auditSinkRoutes, auditRetentionRoutes]) {
      await authenticated.register(async (scope) => routes(scope, ctx));
    }
  });
}
