import type { ServerContext } from '../../../context.js';
import { verifyOutsideToken } from '../../../federation/verify.js';
import { OAuthError } from '../../errors.js';
import { single } from '../../form.js';
import { JWT_BEARER_GRANT, type TokenRequest } from '../context.js';

/**
 * The JWT bearer grant (RFC 7523 §2.1): the `assertion` parameter carries a token from an
 * outside workload identity issuer, and a federation rule of one service account accepts it.
 * The assertion is the authentication, so the request carries no client secret or client
 * assertion; `client_id` may be sent and must then name the account the rule belongs to.
 * Refusals count against the per-address throttle of failed client authentications.
 */
export async function authenticateOutsideToken(ctx: ServerContext, request: TokenRequest): Promise<void> {
  const { params } = request;
  if (request.authorization !== undefined || single(params, 'client_secret') !== undefined || single(params, 'client_assertion') !== undefined) {
    throw new OAuthError('invalid_request', 'The jwt-bearer grant takes no client authentication: the assertion is the authentication. Leave out HTTP Basic, client_secret and client_assertion.', 'client_authentication_with_jwt_bearer');
  }
  const assertion = single(params, 'assertion');
  if (assertion === undefined) {
    throw new OAuthError('invalid_request', 'The assertion parameter is missing; send the token of your workload identity issuer as assertion=<JWT>.', 'missing_assertion');
  }

  const retryAfter = ctx.throttles.address.retryAfterSeconds(request.sourceIp);
  if (retryAfter > 0) {
    const error = new OAuthError('slow_down', `Too many refused requests from this address; retry after ${retryAfter} seconds.`, 'throttled');
    error.retryAfter = retryAfter;
    throw error;
  }

  try {
    const identity = await verifyOutsideToken(ctx, assertion);
    const clientId = single(params, 'client_id');
    if (clientId !== undefined && clientId !== identity.account.client_id) {
      const error = new OAuthError('invalid_grant', 'The client_id does not name the service account that trusts this assertion; leave client_id out or correct it.', 'client_id_mismatch');
      error.accountId = identity.account.id;
      error.auditDetails = { federationId: identity.federation.id, issuer: identity.federation.issuer };
      throw error;
    }
    request.presentedClientId = identity.account.client_id;
    request.client = { account: identity.account, method: 'jwt_bearer', federation: identity.federation, federatedSubject: identity.subject };
  } catch (error) {
    if (error instanceof OAuthError) ctx.throttles.address.recordFailure(request.sourceIp);
    throw error;
  }
}

/** What the audit event of a jwt-bearer request adds: the grant type, and the rule and outside subject once known. */
export function outsideTokenDetails(request: TokenRequest): Record<string, unknown> {
  if (request.grantType !== JWT_BEARER_GRANT) return {};
  const { federation, federatedSubject } = request.client ?? {};
  return { grantType: JWT_BEARER_GRANT, ...(federation ? { federationId: federation.id, issuer: federation.issuer, subject: federatedSubject?.slice(0, 500) } : {}) };
}
