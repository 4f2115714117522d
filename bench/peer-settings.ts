/**
 * The clients and resource servers that bench/peer-server.ts registers with oidc-provider,
 * shared with the benchmark that sends it requests.
 */

/** Registered with client_secret_basic, for the Basic token target and the introspection target. */
export const PEER_BASIC_CLIENT_ID = 'bench-basic';
/** Registered with client_secret_post, for the form token target. */
export const PEER_POST_CLIENT_ID = 'bench-post';

/** The resource server whose access tokens are ES256-signed JWTs. */
export const PEER_JWT_RESOURCE = 'https://api.bench.example';
/** The resource server whose access tokens are opaque, so that only introspection can resolve them. */
export const PEER_OPAQUE_RESOURCE = 'https://opaque.bench.example';
/** The one scope of both resource servers. */
export const PEER_SCOPE = 'read';

/** Lifetime of the peer's access tokens in seconds, long enough to outlast a whole benchmark. */
export const PEER_TOKEN_LIFETIME_SECONDS = 3600;
