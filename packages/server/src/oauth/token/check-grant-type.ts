import { OAuthError } from '../errors.js';
import { single } from '../form.js';
import { CLIENT_CREDENTIALS_GRANT, JWT_BEARER_GRANT, type TokenRequest } from './context.js';

/**
 * Accepts the client credentials grant (RFC 6749 §4.4) and the JWT bearer grant (RFC 7523
 * §2.1) for tokens of outside workload identity issuers; service accounts have no other.
 */
export function checkGrantType(request: TokenRequest): void {
  const grantType = single(request.params, 'grant_type');

  if (grantType === undefined) {
    throw new OAuthError('invalid_request', 'The grant_type parameter is missing; send grant_type=client_credentials.', 'missing_grant_type');
  }
  if (grantType !== CLIENT_CREDENTIALS_GRANT && grantType !== JWT_BEARER_GRANT) {
    throw new OAuthError(
      'unsupported_grant_type',
      `The grant type "${grantType.slice(0, 64)}" is not supported; service accounts use grant_type=client_credentials, or ${JWT_BEARER_GRANT} with a token from a trusted workload identity issuer.`,
      'unsupported_grant_type',
    );
  }
  request.grantType = grantType;
}
