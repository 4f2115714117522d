/**
 * Fastify hooks that put guard in front of the API: authenticate every request, check the
 * scope a route declares in `config.scope`, and report each authenticated request to
 * Tessera with its route template, status and project.
 *
 * NOTE: these hooks do what `@tessera/guard/fastify` does, with two differences the tracker
 * needs. Rejections use Jira's error body, which Jira clients read, where the adapter sends
 * `{error, error_description}`. And the guard is attached after the server listens, because
 * its audience is the tracker's URL, which is known only then when the port is 0.
 */
import type { Guard, GuardError, Principal, ResourceReference } from '@tessera/guard';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { JiraError } from './jira-errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The service account behind the request's token; set for every request that reaches a handler. */
    principal: Principal | null;
    /** The project a request touched, reported with its usage event. */
    usageResource: ResourceReference | null;
  }
  interface FastifyContextConfig {
    /** The scope of the jira profile that the route requires, such as `read:issue`; none for `/myself`. */
    scope?: string;
  }
}

/** The route reported for a request that matched no route. */
const UNMATCHED_ROUTE = '*';

/** Converts a guard rejection into a Jira error that keeps guard's status and WWW-Authenticate challenge. */
export function jiraErrorFromGuard(error: GuardError): JiraError {
  const headers: Record<string, string> = {};
  if (error.wwwAuthenticate) headers['www-authenticate'] = error.wwwAuthenticate;
  if (error.status === 503) headers['retry-after'] = '5';
  return new JiraError(error.status, [error.description], {}, headers);
}

/** Returns the principal that the authentication hook set; route handlers run only after it. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('the route has no principal: it must be registered behind the guard hooks');
  return request.principal;
}

/**
 * Adds the hooks to `app`. `currentGuard` returns undefined until the tracker has a started
 * guard; requests until then get a 503.
 */
export function registerGuardHooks(app: FastifyInstance, currentGuard: () => Guard | undefined): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('usageResource', null);

  app.addHook('onRequest', async (request) => {
    const guard = currentGuard();
    if (!guard) throw new JiraError(503, ['The tracker is starting and cannot check access tokens yet; retry in a few seconds.'], {}, { 'retry-after': '5' });

    const result = await guard.authenticate(request.headers.authorization);
    if (!result.ok) throw jiraErrorFromGuard(result.error);
    request.principal = result.principal;

    // Checked here, before the body is read, so a token without the scope costs no parsing.
    const scope = request.routeOptions.config.scope;
    const denied = scope === undefined ? undefined : guard.requireScope(result.principal, scope);
    if (denied) throw jiraErrorFromGuard(denied);
  });

  app.addHook('onResponse', async (request, reply) => {
    const guard = currentGuard();
    if (!guard || !request.principal) return;

    guard.report(request.principal, {
      method: request.method,
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      status: reply.statusCode,
      resource: request.usageResource,
    });
  });
}
