import { type Profile, findProfile } from '@tessera/shared';
import { type GuardLogger, silentLogger } from './logger.js';

export interface GuardOptions {
  /** Tessera's issuer URL, exactly as in the `iss` claim and without a trailing slash. */
  issuer: string;
  /** The audience of this product instance (its base URL), compared exactly with `aud`. */
  audience: string;
  /** Name of the built-in profile of this instance, such as `jira`; it decides which scopes imply which. */
  profile: string;
  /**
   * Client id and secret of the product's own service account, which needs a grant on this
   * instance. Guard sends them with HTTP Basic to the revocation feed and the usage endpoint;
   * without them neither runs.
   */
  clientId?: string;
  clientSecret?: string;
  /** Signature algorithms to accept. Default `['ES256']`; `none` and the HMAC algorithms are rejected. */
  algorithms?: string[];
  /** Seconds of clock difference allowed when checking exp, nbf and iat. Default 30. */
  clockToleranceSeconds?: number;
  /** Maximum number of verified tokens kept in memory. Default 10000; 0 turns the cache off. */
  cacheSize?: number;
  revocations?: {
    /** Milliseconds between two polls of the revocation feed. Default 2000. */
    pollIntervalMs?: number;
    /**
     * Reject every token (503) while the feed has been unreachable for more than two poll
     * intervals, and until the first poll succeeds. Default false: keep accepting tokens
     * that verify.
     */
    failClosed?: boolean;
  };
  usage?: {
    /** Milliseconds between two flushes of usage reports. Default 2000. */
    flushIntervalMs?: number;
    /** Maximum number of usage events waiting to be sent; past it the oldest are dropped. Default 10000. */
    maxBuffer?: number;
  };
  /**
   * Opaque tokens (`tso_…`, issued for instances with tokenFormat opaque) are checked by
   * introspection with the client credentials; the response is cached this many milliseconds.
   * Default 5000; 0 asks the issuer on every request, so revocations apply at once.
   */
  introspectionCacheMs?: number;
  /**
   * The URL clients use to reach this product, which DPoP proofs name in htu. A string is a base
   * URL whose scheme, host and port replace those of the request; the path stays the request's.
   * A function receives the method and the URL the adapter saw (built from the Host header) and
   * returns the public URL of the request. Default: the audience's scheme, host and port, because
   * a Host header is chosen by the client.
   */
  publicUrl?: string | ((request: { method: string; url: URL }) => string);
  /**
   * DPoP proofs remembered per process to reject a replayed one, each for two minutes. Default
   * 100000. Past it the oldest are forgotten early.
   */
  dpopReplayCacheSize?: number;
  /** Logger for starts, stops, feed outages and failures. Default: no logging. */
  logger?: GuardLogger;
  /**
   * Current time in epoch milliseconds, for tests. It applies to token lifetimes, cache
   * expiry, revocation times and usage timestamps. Timers and the feed lag use real time.
   */
  now?: () => number;
}

export interface ResolvedOptions {
  issuer: string;
  audience: string;
  profile: Profile;
  client: { id: string; secret: string } | undefined;
  algorithms: string[];
  clockToleranceSeconds: number;
  cacheSize: number;
  pollIntervalMs: number;
  failClosed: boolean;
  flushIntervalMs: number;
  maxBuffer: number;
  introspectionCacheMs: number;
  /** Returns the public URL of a request, as DPoP proofs name it in htu; undefined when neither publicUrl nor the audience gives one. */
  publicUrl: ((request: { method: string; url: URL }) => string) | undefined;
  dpopReplayCacheSize: number;
  logger: GuardLogger;
  now: () => number;
}

/** Asymmetric JWS algorithms of RFC 7518 and RFC 8037. HMAC and `none` are never accepted. */
const ASYMMETRIC_ALGORITHMS = new Set(['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA', 'Ed25519']);

function requireString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`guard option ${name} must be a non-empty string`);
  return value;
}

function requireInteger(name: string, value: unknown, fallback: number, minimum: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new TypeError(`guard option ${name} must be an integer of at least ${minimum}, got ${String(value)}`);
  }
  return value;
}

function resolveIssuer(value: unknown): string {
  const issuer = requireString('issuer', value);
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new TypeError(`guard option issuer must be an absolute URL, got ${issuer}`);
  }

  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`guard option issuer must be an http or https URL, got ${issuer}`);
  if (issuer.endsWith('/')) throw new TypeError(`guard option issuer must not end with a slash: use ${issuer.replace(/\/+$/, '')}`);
  if (url.search || url.hash) throw new TypeError('guard option issuer must not have a query or fragment');
  return issuer;
}

function resolveAlgorithms(value: unknown): string[] {
  if (value === undefined) return ['ES256'];
  if (!Array.isArray(value) || value.length === 0) throw new TypeError('guard option algorithms must be a non-empty array');

  for (const algorithm of value) {
    if (!ASYMMETRIC_ALGORITHMS.has(algorithm)) {
      throw new TypeError(`guard option algorithms may not contain ${String(algorithm)}: only asymmetric algorithms (${[...ASYMMETRIC_ALGORITHMS].join(', ')}) are allowed`);
    }
  }
  return [...value];
}

function resolvePublicUrl(value: unknown, audience: string): ResolvedOptions['publicUrl'] {
  if (typeof value === 'function') return value as ResolvedOptions['publicUrl'];

  let origin: string;
  if (value === undefined) {
    // An audience that is no URL leaves DPoP without a public URL; such requests are then rejected.
    if (!URL.canParse(audience)) return undefined;
    origin = new URL(audience).origin;
  } else {
    const base = requireString('publicUrl', value);
    if (!URL.canParse(base) || !/^https?:$/.test(new URL(base).protocol)) throw new TypeError(`guard option publicUrl must be an absolute http or https URL, got ${base}`);
    origin = new URL(base).origin;
  }
  return ({ url }) => `${origin}${url.pathname}`;
}

function resolveClient(options: GuardOptions): ResolvedOptions['client'] {
  if (options.clientId === undefined && options.clientSecret === undefined) return undefined;
  return { id: requireString('clientId', options.clientId), secret: requireString('clientSecret', options.clientSecret) };
}

/** Checks the options and fills in the defaults. Throws a TypeError that names the bad option. */
export function resolveOptions(options: GuardOptions): ResolvedOptions {
  const profile = findProfile(requireString('profile', options.profile));
  if (!profile) throw new TypeError(`guard option profile names no built-in profile: ${options.profile}`);

  const client = resolveClient(options);
  const failClosed = options.revocations?.failClosed ?? false;
  if (failClosed && !client) throw new TypeError('guard option revocations.failClosed needs clientId and clientSecret, since the revocation feed uses them');

  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new TypeError('guard option now must be a function returning epoch milliseconds');

  const audience = requireString('audience', options.audience);
  return {
    issuer: resolveIssuer(options.issuer),
    audience,
    profile,
    client,
    algorithms: resolveAlgorithms(options.algorithms),
    clockToleranceSeconds: requireInteger('clockToleranceSeconds', options.clockToleranceSeconds, 30, 0),
    cacheSize: requireInteger('cacheSize', options.cacheSize, 10_000, 0),
    pollIntervalMs: requireInteger('revocations.pollIntervalMs', options.revocations?.pollIntervalMs, 2000, 10),
    failClosed,
    flushIntervalMs: requireInteger('usage.flushIntervalMs', options.usage?.flushIntervalMs, 2000, 10),
    maxBuffer: requireInteger('usage.maxBuffer', options.usage?.maxBuffer, 10_000, 1),
    introspectionCacheMs: requireInteger('introspectionCacheMs', options.introspectionCacheMs, 5000, 0),
    publicUrl: resolvePublicUrl(options.publicUrl, audience),
    dpopReplayCacheSize: requireInteger('dpopReplayCacheSize', options.dpopReplayCacheSize, 100_000, 1),
    logger: options.logger ?? silentLogger,
    now,
  };
}
