import { OAuthError } from '../errors.js';
import { single } from '../form.js';
import type { TokenRequest } from './context.js';

/** Accepts only the client credentials grant (RFC 6749 §4.4); service accounts have no other. */
export function checkGrantType(request: TokenRequest): void {
  const grantType = single(request.params, 'grant_type');

  if (grantType === undefined) {
    throw new OAuthError('invalid_request', 'The grant_type parameter is missing; send grant_type=client_credentials.', 'missing_grant_type');
  }
  if (grantType !== 'client_credentials') {
    throw new OAuthError('unsupported_grant_type', `The grant type "${grantType.slice(0, 64)}" is not supported; service accounts use grant_type=client_credentials.`, 'unsupported_grant_type');
  }
}
