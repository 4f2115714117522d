/**
 * Guard for a plain node:http server: `withGuard` wraps a handler, and `checkRequest` is the
 * same check for code that routes by itself. Both respond 401, 403 or 503 with the RFC 6750
 * WWW-Authenticate header and a JSON body `{error, error_description}`, and report usage
 * once the response finishes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { RequestDetails } from '../dpop.js';
import type { ResourceReference } from '../authorize.js';
import type { GuardError } from '../errors.js';
import type { Guard } from '../guard.js';
import type { Principal } from '../principal.js';
import { pathWithoutQuery, rejectionFor } from './rejection.js';

export interface NodeHttpGuardOptions {
  /** A scope every request must hold, directly or by implication. */
  scope?: string;
  /**
   * The route template to report, or a function returning it. The default is the request
   * path without its query, because node:http has no routes. Pass templates so that usage
   * reports group requests by route rather than by id.
   */
  route?: string | ((req: IncomingMessage) => string);
}

export type GuardedHandler = (req: IncomingMessage, res: ServerResponse, principal: Principal) => unknown;

const resources = new WeakMap<IncomingMessage, ResourceReference>();
const reporting = new WeakSet<IncomingMessage>();
// A second check of the same request reuses its principal, because a DPoP proof is accepted only once.
const authenticated = new WeakMap<IncomingMessage, Principal>();

/** Names the resource a request touched, for its usage report. */
export function setUsageResource(req: IncomingMessage, resource: ResourceReference): void {
  resources.set(req, resource);
}

/** Sends a guard rejection: its status, WWW-Authenticate and a JSON body. */
export function sendRejection(res: ServerResponse, error: GuardError): void {
  const rejection = rejectionFor(error);
  res.writeHead(rejection.status, rejection.headers);
  res.end(rejection.body);
}

/** Returns the method, URL and DPoP proofs of a request, for DPoP-bound tokens. */
export function requestDetails(req: IncomingMessage): RequestDetails {
  const scheme = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  return { method: req.method ?? 'GET', url: `${scheme}://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, dpop: req.headersDistinct.dpop };
}

function routeOf(req: IncomingMessage, route: NodeHttpGuardOptions['route']): string {
  if (typeof route === 'function') return route(req);
  return route ?? pathWithoutQuery(req.url);
}

/**
 * Authenticates a request and checks the scope of `options`. Returns the principal, or
 * sends the rejection and returns undefined. Usage is reported once per request, with the
 * final status, whenever a principal was found.
 */
export async function checkRequest(guard: Guard, req: IncomingMessage, res: ServerResponse, options: NodeHttpGuardOptions = {}): Promise<Principal | undefined> {
  let principal = authenticated.get(req);
  if (!principal) {
    const result = await guard.authenticate(req.headers.authorization, requestDetails(req));
    if (!result.ok) {
      sendRejection(res, result.error);
      return undefined;
    }
    principal = result.principal;
    authenticated.set(req, principal);
  }

  if (!reporting.has(req)) {
    reporting.add(req);
    const reported = principal;
    res.once('finish', () => {
      guard.report(reported, { method: req.method ?? 'GET', route: routeOf(req, options.route), status: res.statusCode, resource: resources.get(req) });
    });
  }

  const denied = options.scope === undefined ? undefined : guard.requireScope(principal, options.scope);
  if (denied) {
    sendRejection(res, denied);
    return undefined;
  }
  return principal;
}

/** Wraps a handler so that it runs only for requests that pass `checkRequest`. A handler that throws gets a 500. */
export function withGuard(guard: Guard, handler: GuardedHandler, options: NodeHttpGuardOptions = {}): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    try {
      const principal = await checkRequest(guard, req, res, options);
      if (principal) await handler(req, res, principal);
    } catch (error) {
      guard.options.logger.error({ err: error, method: req.method, path: pathWithoutQuery(req.url) }, 'a guarded node:http handler failed');
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ error: 'server_error', error_description: 'An unexpected error occurred.' }));
      } else {
        res.destroy();
      }
    }
  };
}
