import { DPOP_ALGORITHMS } from '@tessera/shared';
import type { TesseraConfig } from '../config.js';

/** RFC 8414 authorization server metadata. */
export function authorizationServerMetadata(config: TesseraConfig): Record<string, unknown> {
  const { issuer } = config;
  const clientAuthMethods = ['client_secret_basic', 'client_secret_post'];

  return {
    issuer,
    token_endpoint: `${issuer}/oauth/token`,
    jwks_uri: `${issuer}/oauth/jwks`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    grant_types_supported: ['client_credentials'],
    // No authorization endpoint exists, so no response type is supported.
    response_types_supported: [],
    token_endpoint_auth_methods_supported: clientAuthMethods,
    introspection_endpoint_auth_methods_supported: clientAuthMethods,
    revocation_endpoint_auth_methods_supported: clientAuthMethods,
    // RFC 9449 §5.1: the token endpoint binds tokens to DPoP proofs signed with these algorithms.
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
  };
}
