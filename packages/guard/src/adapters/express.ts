/**
 * Guard for Express 5. `tesseraGuard(guard)` is middleware that authenticates the request,
 * sets `req.tessera` to the principal, and reports usage with the route template once the
 * response finishes. Use it app-wide, per router or per route. With `scope` it also checks
 * that scope. A request that already passed it is not authenticated or reported twice.
 *
 *   app.use(tesseraGuard(guard));
 *   app.post('/issues', tesseraGuard(guard, { scope: 'write:issue' }), handler);
 *
 * A handler names the resource it touched for the usage report with
 * `res.locals.tesseraResource = { type: 'project', id: 'OPS' }`.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { ResourceReference } from '../authorize.js';
import type { RequestDetails } from '../dpop.js';
import type { GuardError } from '../errors.js';
import type { Guard } from '../guard.js';
import type { Principal } from '../principal.js';
import { pathWithoutQuery, rejectionFor } from './rejection.js';

declare global {
  // Express declares its request type in this global namespace, so the augmentation goes there.
  namespace Express {
    interface Request {
      /** The principal of the request's access token, set by the Tessera guard middleware. */
      tessera?: Principal;
    }
  }
}

export interface ExpressGuardOptions {
  /** A scope the request must hold, directly or by implication. */
  scope?: string;
}

/** Sends a guard rejection: its status, WWW-Authenticate and a JSON body. */
export function sendRejection(res: Response, error: GuardError): void {
  const rejection = rejectionFor(error);
  res.status(rejection.status).set(rejection.headers).send(rejection.body);
}

/** Returns the matched route template, such as `/api/issues/:key`, or the path when no route matched. */
function routeTemplate(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  if (route?.path === undefined) return pathWithoutQuery(req.originalUrl);
  return `${req.baseUrl}${String(route.path)}`;
}

/** Returns the method, URL and DPoP proofs of a request, for DPoP-bound tokens. */
function requestDetails(req: Request): RequestDetails {
  return { method: req.method, url: `${req.protocol}://${req.get('host') ?? 'localhost'}${req.originalUrl}`, dpop: req.headersDistinct.dpop };
}

export function tesseraGuard(guard: Guard, options: ExpressGuardOptions = {}): RequestHandler {
  return async (req, res, next) => {
    let principal = req.tessera;
    if (!principal) {
      const result = await guard.authenticate(req.headers.authorization, requestDetails(req));
      if (!result.ok) return sendRejection(res, result.error);

      const authenticated = result.principal;
      principal = authenticated;
      req.tessera = authenticated;
      res.once('finish', () => {
        const resource = res.locals.tesseraResource as ResourceReference | undefined;
        guard.report(authenticated, { method: req.method, route: routeTemplate(req), status: res.statusCode, resource });
      });
    }

    const denied = options.scope === undefined ? undefined : guard.requireScope(principal, options.scope);
    if (denied) return sendRejection(res, denied);
    next();
  };
}
