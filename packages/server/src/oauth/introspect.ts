import type { ServerContext } from '../context.js';
import { type AuthenticatedClient, authenticateClient, extractClientCredentials } from './client-auth.js';
import { OAuthError } from './errors.js';
import { single } from './form.js';
import { checkTokenState, verifySignedToken } from './verify-token.js';

const INACTIVE = { active: false } as const;

/**
 * RFC 7662 introspection. The caller authenticates as a client and may learn about a token
 * issued to itself or for an instance it has a grant on. Any other token, and every
 * expired, revoked, unknown or malformed one, gets only `{"active": false}`.
 */
export async function introspect(
  ctx: ServerContext,
  params: Map<string, string[]>,
  authorization: string | undefined,
  sourceIp: string,
): Promise<Record<string, unknown>> {
  const caller = await authenticateClient(ctx, extractClientCredentials(authorization, params), sourceIp);
  const token = requireToken(params);

  const claims = await verifySignedToken(ctx, token);
  // Authenticating the caller read the token clients counter, and that read serves this request.
  const active = claims && (await checkTokenState(ctx, claims, true));
  if (!active || !mayIntrospect(caller, active.account.id, active.instance.id)) return INACTIVE;

  const { claims: c } = active;
  return {
    active: true,
    scope: c.scope,
    client_id: c.client_id,
    username: active.account.name,
    // RFC 9449 §6.2: a bound token is introspected with its confirmation and the DPoP type.
    token_type: c.cnf ? 'DPoP' : 'Bearer',
    ...(c.cnf ? { cnf: { jkt: c.cnf.jkt } } : {}),
    exp: c.exp,
    iat: c.iat,
    sub: c.sub,
    aud: c.aud,
    iss: c.iss,
    jti: c.jti,
    credential_id: c.credential_id,
    instance: c.instance,
    resources: c.resources,
    generation: c.generation ?? 0,
  };
}

function mayIntrospect(caller: AuthenticatedClient, tokenAccountId: string, instanceId: string): boolean {
  if (caller.account.id === tokenAccountId) return true;
  return caller.grants.some((grant) => grant.instance_id === instanceId);
}

export function requireToken(params: Map<string, string[]>): string {
  const token = single(params, 'token');
  if (token === undefined) throw new OAuthError('invalid_request', 'The token parameter is missing; send the access token as token=<token>.', 'missing_token');
  return token;
}
