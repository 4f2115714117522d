/**
 * Guard for Fastify 5. Registering `tesseraGuard` authenticates every request of the
 * instance it is registered on (in onRequest, before the body is read), sets
 * `request.tessera` to the principal, and reports usage with the route template once the
 * response is sent. `requireScope` returns a preHandler for a route's own scope.
 *
 *   await app.register(tesseraGuard, { guard });
 *   app.get('/issues/:key', { preHandler: requireScope(guard, 'read:issue') }, handler);
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { ResourceReference } from '../authorize.js';
import type { RequestDetails } from '../dpop.js';
import type { GuardError } from '../errors.js';
import type { Guard } from '../guard.js';
import type { Principal } from '../principal.js';
import { pathWithoutQuery, rejectionFor } from './rejection.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The principal of the request's access token, set by the Tessera guard plugin. */
    tessera: Principal | null;
    /** The resource the handler touched, for the usage report; set it in the handler. */
    tesseraResource: ResourceReference | null;
  }
}

export interface FastifyGuardOptions {
  guard: Guard;
  /** A scope every request must hold, directly or by implication. */
  scope?: string;
}

/** Sends a guard rejection: its status, WWW-Authenticate and a JSON body. */
export function sendRejection(reply: FastifyReply, error: GuardError): FastifyReply {
  const rejection = rejectionFor(error);
  return reply.code(rejection.status).headers(rejection.headers).send(rejection.body);
}

/** Returns the method, URL and DPoP proofs of a request, for DPoP-bound tokens. */
function requestDetails(request: FastifyRequest): RequestDetails {
  return { method: request.method, url: `${request.protocol}://${request.host}${request.url}`, dpop: request.raw.headersDistinct.dpop };
}

/**
 * Returns a preHandler that rejects requests whose token lacks `scope` with 403. It
 * authenticates the request itself when the plugin has not, but only the plugin reports usage.
 */
export function requireScope(guard: Guard, scope: string): preHandlerAsyncHookHandler {
  return async function checkScope(request: FastifyRequest, reply: FastifyReply) {
    let principal = request.tessera;
    if (!principal) {
      const result = await guard.authenticate(request.headers.authorization, requestDetails(request));
      if (!result.ok) return sendRejection(reply, result.error);
      principal = result.principal;
      request.tessera = principal;
    }

    const denied = guard.requireScope(principal, scope);
    if (denied) return sendRejection(reply, denied);
  };
}

async function plugin(app: FastifyInstance, options: FastifyGuardOptions): Promise<void> {
  const { guard, scope } = options;
  app.decorateRequest('tessera', null);
  app.decorateRequest('tesseraResource', null);

  app.addHook('onRequest', async (request, reply) => {
    const result = await guard.authenticate(request.headers.authorization, requestDetails(request));
    if (!result.ok) return sendRejection(reply, result.error);

    request.tessera = result.principal;
    const denied = scope === undefined ? undefined : guard.requireScope(result.principal, scope);
    if (denied) return sendRejection(reply, denied);
  });

  app.addHook('onResponse', async (request, reply) => {
    if (!request.tessera) return;
    const route = request.routeOptions.url ?? pathWithoutQuery(request.url);
    guard.report(request.tessera, { method: request.method, route, status: reply.statusCode, resource: request.tesseraResource });
  });
}

// The same marks that fastify-plugin sets: the hooks and decorators apply to the instance the plugin is registered on, not to a child scope.
Object.assign(plugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: '@tessera/guard' });

export const tesseraGuard = plugin;
