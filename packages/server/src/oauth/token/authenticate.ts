import type { ServerContext } from '../../context.js';
import { authenticateClientAssertion, extractClientAssertion } from '../client-assertion.js';
import { authenticateClient, extractClientCredentials } from '../client-auth.js';
import { JWT_BEARER_GRANT, type TokenRequest } from './context.js';
import { authenticateOutsideToken } from './grant-types/jwt-bearer.js';

/**
 * Establishes the account the token is for: from the outside token in a jwt-bearer grant,
 * else by client authentication with a signed assertion (private_key_jwt) or a secret.
 */
export async function authenticate(ctx: ServerContext, request: TokenRequest): Promise<void> {
  if (request.grantType === JWT_BEARER_GRANT) return authenticateOutsideToken(ctx, request);

  const assertion = extractClientAssertion(request.authorization, request.params);
  if (assertion) {
    request.presentedClientId = assertion.clientId;
    request.client = await authenticateClientAssertion(ctx, assertion, request.sourceIp);
    return;
  }

  const credentials = extractClientCredentials(request.authorization, request.params);
  request.presentedClientId = credentials.clientId;
  request.client = await authenticateClient(ctx, credentials, request.sourceIp);
}
