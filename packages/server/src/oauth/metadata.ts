import { DPOP_ALGORITHMS } from '@tessera/shared';
import type { TesseraConfig } from '../config.js';
import { CLIENT_ASSERTION_ALGORITHMS } from './public-keys.js';
import { CLIENT_CREDENTIALS_GRANT, JWT_BEARER_GRANT } from './token/context.js';

/** RFC 8414 authorization server metadata. */
export function authorizationServerMetadata(config: TesseraConfig): Record<string, unknown> {
  const { issuer } = config;
  // private_key_jwt is accepted at the token endpoint only; introspection and revocation take secrets.
  const clientAuthMethods = ['client_secret_basic', 'client_secret_post'];

  return {
    issuer,
    token_endpoint: `${issuer}/oauth/token`,
    jwks_uri: `${issuer}/oauth/jwks`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    grant_types_supported: [CLIENT_CREDENTIALS_GRANT, JWT_BEARER_GRANT],
    // No authorization endpoint exists, so no response type is supported.
    response_types_supported: [],
    token_endpoint_auth_methods_supported: [...clientAuthMethods, 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGORITHMS],
    introspection_endpoint_auth_methods_supported: clientAuthMethods,
    revocation_endpoint_auth_methods_supported: clientAuthMethods,
    // RFC 9449 §5.1: the token endpoint binds tokens to DPoP proofs signed with these algorithms.
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
  };
}
