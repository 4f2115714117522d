import { Introspector, OPAQUE_TOKEN_PREFIX } from './introspection.js';
import { Authorizer, type ResourceReference } from './authorize.js';
import { extractAccessToken } from './bearer.js';
import { DpopChecker, type RequestDetails } from './dpop.js';
import { GuardError } from './errors.js';
import { type GuardOptions, type ResolvedOptions, resolveOptions } from './options.js';
import type { Principal } from './principal.js';
import { RevocationFeed } from './revocation-feed.js';
import { RevocationList } from './revocation-list.js';
import { TokenCache } from './token-cache.js';
import { type UsageReport, UsageReporter } from './usage-reporter.js';
import { TokenVerifier } from './verify.js';

export type AuthenticateResult = { ok: true; principal: Principal } | { ok: false; error: GuardError };

export interface GuardStats {
  /** Tokens whose signature and claims were checked and passed. */
  verified: number;
  /** Requests whose token came from the cache, without a signature check. */
  cacheHits: number;
  /** Requests that `authenticate` rejected, for any reason. */
  rejected: number;
  /** Usage events that the server accepted. */
  reportsSent: number;
  /** Usage events dropped: invalid, pushed out of a full buffer, rejected by the server, or reported after close. */
  reportsDropped: number;
  /** Milliseconds since the last successful poll of the revocation feed (since start before the first); null without client credentials. */
  feedLagMs: number | null;
}

/**
 * Accepts Tessera access tokens for one product instance. Call `start` once before serving
 * and `close` on shutdown. `authenticate` and `report` never throw; `requireScope` and
 * `requireResource` return a GuardError on denial and undefined when access is granted.
 */
export class Guard {
  readonly options: ResolvedOptions;
  private readonly verifier: TokenVerifier;
  private readonly introspector: Introspector;
  private readonly cache: TokenCache;
  private readonly revocations: RevocationList;
  private readonly authorizer: Authorizer;
  private readonly dpop: DpopChecker;
  private readonly feed: RevocationFeed | undefined;
  private readonly usage: UsageReporter | undefined;
  private started = false;
  private verified = 0;
  private cacheHits = 0;
  private rejected = 0;

  constructor(options: GuardOptions) {
    this.options = resolveOptions(options);
    const { now, cacheSize, clockToleranceSeconds, profile, logger, client } = this.options;

    this.verifier = new TokenVerifier(this.options);
    this.introspector = new Introspector(this.options);
    this.cache = new TokenCache(cacheSize, now);
    this.revocations = new RevocationList(now, clockToleranceSeconds * 1000);
    this.authorizer = new Authorizer(profile, logger);
    this.dpop = new DpopChecker(this.options);
    this.feed = client ? new RevocationFeed(this.options, this.revocations) : undefined;
    this.usage = client ? new UsageReporter(this.options) : undefined;
  }

  /**
   * Fetches the issuer metadata and the first page of the revocation feed, then keeps
   * polling the feed and flushing usage reports. Failures are logged and retried, never
   * thrown, so a product can start while Tessera is down.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;

    const { issuer, audience, profile, logger, client, failClosed } = this.options;
    logger.info({ issuer, audience, profile: profile.name, failClosed }, 'guard starting');
    if (new URL(issuer).protocol === 'http:') logger.warn({ issuer }, 'the issuer uses plain http; use its https URL outside development');
    if (!client) logger.warn({ issuer }, 'guard has no clientId and clientSecret, so it follows no revocations (revoked tokens pass until they expire) and sends no usage reports');

    this.usage?.start();
    await Promise.all([this.verifier.discover(), this.feed?.start()]);
  }

  /** Stops polling, sends buffered usage reports once and empties the cache. */
  async close(): Promise<void> {
    if (!this.started) return;
    this.started = false;

    await Promise.all([this.feed?.stop(), this.usage?.close()]);
    this.cache.clear();
    this.options.logger.info({ audience: this.options.audience }, 'guard stopped');
  }

  /**
   * Authenticates a request from its Authorization header value: a verified, unrevoked
   * Tessera access token for this audience gives its principal. A DPoP-bound token is accepted
   * only with the DPoP scheme and a valid proof (RFC 9449 §7.1), which needs `request`; the
   * adapters pass it. Never throws.
   */
  async authenticate(authorization: string | string[] | undefined | null, request?: RequestDetails): Promise<AuthenticateResult> {
    let result: AuthenticateResult;
    try {
      result = await this.check(authorization, request);
    } catch (error) {
      result = { ok: false, error: new GuardError('temporarily_unavailable', { cause: error }) };
      this.options.logger.error({ err: error }, 'guard failed to check an access token');
    }

    if (!result.ok) {
      this.rejected += 1;
      const cause = result.error.cause instanceof Error ? result.error.cause.message : undefined;
      this.options.logger.debug({ code: result.error.code, cause }, 'guard rejected a request');
    }
    return result;
  }

  private async check(authorization: string | string[] | undefined | null, request: RequestDetails | undefined): Promise<AuthenticateResult> {
    const presented = extractAccessToken(authorization);
    if (presented instanceof GuardError) return { ok: false, error: presented };

    const result = await this.checkToken(presented.token);
    if (presented.scheme === 'bearer') {
      // RFC 9449 §7.1: a bound token must not be accepted as a bearer token, or a stolen one would work without the key.
      if (result.ok && result.principal.dpopKeyThumbprint !== undefined) return { ok: false, error: new GuardError('dpop_bound_token') };
      return result;
    }

    if (!result.ok) return { ok: false, error: result.error.withDpopChallenge() };
    if (result.principal.dpopKeyThumbprint === undefined) return { ok: false, error: new GuardError('token_not_bound') };
    // The token's verification may come from the cache, but every request needs its own proof.
    const denied = await this.dpop.check(presented.token, result.principal, request);
    return denied ? { ok: false, error: denied } : result;
  }

  /** Verifies a token, from the cache when possible, and checks it against the revocations. */
  private async checkToken(token: string): Promise<AuthenticateResult> {
    if (this.options.failClosed && this.feed?.isStale()) {
      return { ok: false, error: new GuardError('temporarily_unavailable', { description: 'Access tokens cannot be checked right now because the revocation feed is unreachable; retry later.' }) };
    }

    if (token.startsWith(OPAQUE_TOKEN_PREFIX)) {
      const introspected = await this.introspector.introspect(token);
      if (introspected instanceof GuardError) return { ok: false, error: introspected };
      if (this.revocations.isRevoked(introspected)) return { ok: false, error: new GuardError('revoked') };
      return { ok: true, principal: introspected };
    }

    const key = TokenCache.keyOf(token);
    let principal = this.cache.get(key);
    if (principal) {
      this.cacheHits += 1;
    } else {
      const verified = await this.verifier.verify(token);
      if (verified instanceof GuardError) return { ok: false, error: verified };

      principal = verified;
      this.verified += 1;
      this.cache.set(key, principal);
    }

    if (this.revocations.isRevoked(principal)) return { ok: false, error: new GuardError('revoked') };
    return { ok: true, principal };
  }

  /** Returns `insufficient_scope` (403) unless the token's scopes include `scope` or a scope that implies it in the profile. */
  requireScope(principal: Principal, scope: string): GuardError | undefined {
    return this.withScheme(principal, this.authorizer.requireScope(principal, scope));
  }

  /** Returns `resource_forbidden` (403) unless the token's restrictions allow the resource; a type absent from the token means no access. */
  requireResource(principal: Principal, resource: ResourceReference): GuardError | undefined {
    return this.withScheme(principal, this.authorizer.requireResource(principal, resource));
  }

  /** Gives a denial for a DPoP-bound token the DPoP challenge (RFC 9449 §7.1). */
  private withScheme(principal: Principal, denied: GuardError | undefined): GuardError | undefined {
    return denied && principal.dpopKeyThumbprint !== undefined ? denied.withDpopChallenge() : denied;
  }

  /** Queues a usage event for the request a principal made. Never blocks or throws; a no-op without client credentials. */
  report(principal: Principal, report: UsageReport): void {
    try {
      this.usage?.report(principal, report);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'guard could not queue a usage report');
    }
  }

  /** Sends buffered usage reports now instead of waiting for the timer. */
  async flushUsage(): Promise<void> {
    await this.usage?.flush();
  }

  stats(): GuardStats {
    return {
      verified: this.verified,
      cacheHits: this.cacheHits,
      rejected: this.rejected,
      reportsSent: this.usage?.sent ?? 0,
      reportsDropped: this.usage?.dropped ?? 0,
      feedLagMs: this.feed ? Math.round(this.feed.lagMs()) : null,
    };
  }
}

/** Creates a guard for one product instance. Throws a TypeError when an option is invalid. */
export function createGuard(options: GuardOptions): Guard {
  return new Guard(options);
}
