import { ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE, expandScopes, findProfile } from '@tessera/shared';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestError } from '../accounts/errors.js';
import { sourceOf } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { checkTokenState, verifySignedToken } from '../oauth/verify-token.js';
import { findInstanceByAudience } from '../storage/instances.js';
import type { AdminPrincipal } from './auth.js';
import { isBuiltInInstance } from './tessera-instance.js';

/**
 * Authenticates a service account by an access token for the built-in tessera instance, with
 * the checks of introspection: signature, lifetime, revocation, account status, credential and
 * token generation. Returns undefined when the request carries no bearer token for that
 * instance, so that the caller rejects other tokens as before.
 */
export async function authenticateAdminToken(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply): Promise<AdminPrincipal | undefined> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  if (!bearer) return undefined;

  const claims = await verifySignedToken(ctx, bearer[1]);
  const instance = claims && (await findInstanceByAudience(ctx.db, claims.aud));
  if (!claims || !instance || !isBuiltInInstance(instance)) return undefined;

  const actor = { type: 'service_account' as const, id: claims.sub, credentialId: claims.credential_id };
  const refuse = async (reason: string, code: 'invalid_token' | 'forbidden', message: string): Promise<never> => {
    await ctx.audit.write({ actor, action: 'admin.access_refused', source: sourceOf(request), outcome: 'failure', reason, details: { method: request.method, path: request.routeOptions.url ?? request.url.split('?')[0] } });
    // RFC 6750 §3: the response to a rejected bearer token carries a WWW-Authenticate challenge.
    if (code === 'invalid_token') reply.header('www-authenticate', 'Bearer error="invalid_token"');
    throw new RequestError(code, message);
  };

  const active = await checkTokenState(ctx, claims);
  if (!active) return refuse('token_inactive', 'invalid_token', 'The bearer token is expired or revoked, or its account or credential is no longer active; request a new token from POST /oauth/token.');

  // A DPoP-bound token proves nothing without its proof, and the admin API does not check proofs.
  if (claims.cnf) return refuse('token_bound_to_dpop', 'invalid_token', 'The admin API does not accept DPoP-bound tokens; request a token for the tessera instance without a DPoP header.');

  const scopes = expandScopes(findProfile(instance.profile)!, claims.scope.split(' ').filter(Boolean));
  let role: 'admin' | 'auditor' | undefined;
  if (scopes.has(ADMIN_WRITE_SCOPE)) role = 'admin';
  else if (scopes.has(ADMIN_READ_SCOPE)) role = 'auditor';
  if (!role) return refuse('no_admin_scope', 'forbidden', `The token has no admin API scope; grant the account ${ADMIN_READ_SCOPE} or ${ADMIN_WRITE_SCOPE} on the tessera instance.`);

  return {
    id: active.account.id,
    username: active.account.name,
    role,
    sessionIdHash: '',
    csrfToken: '',
    instanceIds: [],
    serviceAccount: { credentialId: claims.credential_id, scopes: [...scopes].sort() },
  };
}

/** Rejects a service account's token on routes that only a signed-in admin may use, such as admin management. */
export function requireSignedInAdmin(request: FastifyRequest, what: string): void {
  if (request.admin?.serviceAccount) {
    throw new RequestError('forbidden', `${what} needs an admin signed in with a password or through the identity provider; service-account tokens cannot use it.`);
  }
}
