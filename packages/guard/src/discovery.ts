/** Time allowed for each HTTP request that guard sends to the issuer. */
export const ISSUER_REQUEST_TIMEOUT_MS = 5000;

/**
 * Returns the URL of the RFC 8414 metadata: the well-known path goes between the host and
 * the issuer's path, so `https://id.example.com` gives
 * `https://id.example.com/.well-known/oauth-authorization-server`.
 */
export function metadataUrl(issuer: string): URL {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname;
  return new URL(`/.well-known/oauth-authorization-server${path}`, url.origin);
}

/**
 * Fetches the issuer's metadata and returns its `jwks_uri`. Throws when the server is
 * unreachable, returns an error status, or publishes metadata for another issuer (RFC 8414
 * §3.3 requires the `issuer` value to match the URL it was fetched from).
 */
export async function discoverJwksUri(issuer: string): Promise<URL> {
  const url = metadataUrl(issuer);
  const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(ISSUER_REQUEST_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`issuer metadata at ${url.href} returned HTTP ${response.status}`);

  const metadata = (await response.json()) as Record<string, unknown>;
  if (metadata.issuer !== issuer) throw new Error(`issuer metadata at ${url.href} names issuer ${String(metadata.issuer)}, not ${issuer}`);
  if (typeof metadata.jwks_uri !== 'string') throw new Error(`issuer metadata at ${url.href} has no jwks_uri`);

  const jwksUri = new URL(metadata.jwks_uri);
  if (jwksUri.protocol !== 'https:' && jwksUri.protocol !== 'http:') throw new Error(`issuer metadata names a jwks_uri that is not http or https: ${jwksUri.href}`);
  return jwksUri;
}
