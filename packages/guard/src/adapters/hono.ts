/**
 * Guard for Hono 4. `tesseraGuard(guard)` is middleware that authenticates the request,
 * stores the principal with `c.set('tessera', principal)`, and reports usage with the route
 * template after the handler ran. With `scope` it also checks that scope, and a request that
 * already passed it is not authenticated or reported twice.
 *
 *   const app = new Hono<{ Variables: TesseraVariables }>();
 *   app.use('/api/*', tesseraGuard(guard));
 *   app.post('/api/issues', tesseraGuard(guard, { scope: 'write:issue' }), handler);
 *
 * A handler names the resource it touched for the usage report with
 * `c.set('tesseraResource', { type: 'project', id: 'OPS' })`.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { ResourceReference } from '../authorize.js';
import type { RequestDetails } from '../dpop.js';
import type { GuardError } from '../errors.js';
import type { Guard } from '../guard.js';
import type { Principal } from '../principal.js';
import { rejectionFor } from './rejection.js';

export type TesseraVariables = {
  tessera: Principal;
  tesseraResource: ResourceReference;
};

export interface HonoGuardOptions {
  /** A scope the request must hold, directly or by implication. */
  scope?: string;
}

/** Returns the response for a guard rejection: its status, WWW-Authenticate and a JSON body. */
export function rejectionResponse(error: GuardError): Response {
  const rejection = rejectionFor(error);
  return new Response(rejection.body, { status: rejection.status, headers: rejection.headers });
}

/** Returns the method, URL and DPoP proofs of a request; the Fetch API joins repeated DPoP lines with commas. */
function requestDetails(c: Context): RequestDetails {
  return { method: c.req.method, url: c.req.url, dpop: c.req.header('dpop') };
}

export function tesseraGuard(guard: Guard, options: HonoGuardOptions = {}): MiddlewareHandler<{ Variables: TesseraVariables }> {
  return async (c: Context<{ Variables: TesseraVariables }>, next) => {
    let principal = c.get('tessera');
    const authenticatedHere = principal === undefined;
    if (!principal) {
      const result = await guard.authenticate(c.req.header('authorization'), requestDetails(c));
      if (!result.ok) return rejectionResponse(result.error);
      principal = result.principal;
      c.set('tessera', principal);
    }

    const denied = options.scope === undefined ? undefined : guard.requireScope(principal, options.scope);
    if (denied) {
      // The handler did not run, so the route template is that of the last matching route.
      if (authenticatedHere) guard.report(principal, { method: c.req.method, route: routePath(c, -1), status: denied.status });
      return rejectionResponse(denied);
    }

    await next();
    if (authenticatedHere) guard.report(principal, { method: c.req.method, route: routePath(c), status: c.res.status, resource: c.get('tesseraResource') });
  };
}
