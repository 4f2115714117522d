import { basicAuthorization } from './client-auth.js';
import { ISSUER_REQUEST_TIMEOUT_MS, metadataUrl } from './discovery.js';
import { GuardError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import { type Principal, principalFromClaims } from './principal.js';
import { TokenCache } from './token-cache.js';

/** Prefix of Tessera's opaque access tokens. */
export const OPAQUE_TOKEN_PREFIX = 'tso_';

const MAX_CACHED = 10_000;

/**
 * Checks opaque tokens with RFC 7662 introspection at the issuer, authenticated with guard's
 * client credentials. Responses, active or not, are cached for `introspectionCacheMs`, so a
 * revocation reaches guard within that time.
 */
export class Introspector {
  private endpoint: Promise<URL> | undefined;
  private readonly answers = new Map<string, { at: number; result: Principal | GuardError }>();

  constructor(private readonly options: ResolvedOptions) {}

  async introspect(token: string): Promise<Principal | GuardError> {
    const { client, introspectionCacheMs, now } = this.options;
    if (!client) {
      return new GuardError('malformed_token', { description: 'Opaque access tokens need introspection; configure guard with clientId and clientSecret.' });
    }

    const key = TokenCache.keyOf(token);
    const cached = this.answers.get(key);
    if (cached && now() - cached.at < introspectionCacheMs) return cached.result;

    const result = await this.ask(token, client);
    if (!(result instanceof GuardError && result.code === 'temporarily_unavailable')) this.remember(key, result);
    return result;
  }

  private async ask(token: string, client: { id: string; secret: string }): Promise<Principal | GuardError> {
    let body: Record<string, unknown>;
    try {
      const response = await fetch(await this.findEndpoint(), {
        method: 'POST',
        headers: { authorization: basicAuthorization(client.id, client.secret), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ token }).toString(),
        signal: AbortSignal.timeout(ISSUER_REQUEST_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`introspection returned HTTP ${response.status}`);
      body = (await response.json()) as Record<string, unknown>;
    } catch (error) {
      this.endpoint = undefined;
      this.options.logger.warn({ err: error }, 'introspecting an opaque token failed; the request gets 503');
      return new GuardError('temporarily_unavailable', { cause: error });
    }

    if (body.active !== true) return new GuardError('inactive');
    if (body.aud !== this.options.audience) return new GuardError('wrong_audience');

    const principal = principalFromClaims(body, this.options.audience);
    if ('invalidClaim' in principal) return new GuardError('malformed_token', { description: `The introspection response has an invalid ${principal.invalidClaim} claim.` });
    return principal;
  }

  private findEndpoint(): Promise<URL> {
    this.endpoint ??= (async () => {
      const response = await fetch(metadataUrl(this.options.issuer), { signal: AbortSignal.timeout(ISSUER_REQUEST_TIMEOUT_MS) });
      const metadata = (await response.json()) as { introspection_endpoint?: unknown };
      if (typeof metadata.introspection_endpoint !== 'string') throw new Error('the issuer metadata has no introspection_endpoint');
      return new URL(metadata.introspection_endpoint);
    })();
    return this.endpoint;
  }

  private remember(key: string, result: Principal | GuardError): void {
    if (this.answers.size >= MAX_CACHED) {
      const oldest = this.answers.keys().next().value;
      if (oldest !== undefined) this.answers.delete(oldest);
    }
    this.answers.set(key, { at: this.options.now(), result });
  }
}
