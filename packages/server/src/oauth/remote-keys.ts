import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { importVerificationKey, keyFitsAlgorithm, normalisePublicJwk } from './public-keys.js';

/**
 * Fetches and caches the key sets (JWKS) of clients and outside issuers, and the issuers'
 * OpenID configuration that names their JWKS. Fetches have a timeout and a size limit and
 * follow no redirects. A key set is used for `cacheMs`; a JWS whose key is not in the cached
 * set triggers one refetch, at most once per `minRefetchMs` for each URL, so that tokens with
 * made-up key ids cannot make Tessera flood an issuer with requests.
 */

export interface RemoteKeyOptions {
  /** Allows http on loopback addresses, for tests; https everywhere else. */
  allowInsecure: boolean;
  timeoutMs: number;
  maxBytes: number;
  cacheMs: number;
  minRefetchMs: number;
  /** How long after `cacheMs` a key set may still be used while its URL cannot be fetched. */
  maxStaleMs: number;
}

export const REMOTE_KEY_DEFAULTS: Omit<RemoteKeyOptions, 'allowInsecure'> = {
  timeoutMs: 5_000,
  maxBytes: 64 * 1024,
  cacheMs: 10 * 60_000,
  minRefetchMs: 30_000,
  maxStaleMs: 60 * 60_000,
};

const MAX_KEYS = 100;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Why a key set or configuration could not be had; the message is for the server log. */
export class RemoteKeyError extends Error {
  override name = 'RemoteKeyError';
}

/**
 * Checks a URL that Tessera will fetch keys or configuration from: absolute https without
 * credentials or fragment, or http on a loopback address when `allowInsecure` is on.
 * Returns a message completing "<field> ..." when the URL is not acceptable.
 */
export function keySourceUrlProblem(raw: string, allowInsecure: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute https URL';
  }
  if (url.username || url.password) return 'must not contain a user name or password';
  if (url.hash || raw.includes('#')) return 'must not contain a fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && allowInsecure && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return 'must use https (plain http on a loopback address needs TESSERA_ALLOW_INSECURE_JWKS_URLS, meant for tests)';
  return 'must use https';
}

interface Entry<T> {
  value?: T;
  fetchedAt: number;
  attemptedAt: number;
  pending?: Promise<T>;
  error?: Error;
}

export class RemoteKeys {
  private readonly keySets = new Map<string, Entry<JWK[]>>();
  private readonly configurations = new Map<string, Entry<string>>();

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: RemoteKeyOptions,
  ) {}

  /**
   * Keys of the JWKS at `url` that may verify a JWS with this header: same kid when the header
   * has one, an algorithm that fits, and a valid public key. Refetches once when none fits.
   */
  async keysFor(url: string, header: { alg: string; kid?: string }): Promise<KeyObject[]> {
    let keys = fitting(await this.cached(this.keySets, url, () => this.fetchKeySet(url), false), header);
    if (keys.length === 0) keys = fitting(await this.cached(this.keySets, url, () => this.fetchKeySet(url), true), header);
    return keys;
  }

  /** The jwks_uri from an issuer's OpenID configuration (OpenID Connect Discovery 1.0 §4). */
  jwksUriOf(issuer: string): Promise<string> {
    return this.cached(this.configurations, issuer, () => this.fetchJwksUri(issuer), false);
  }

  private cached<T>(entries: Map<string, Entry<T>>, key: string, load: () => Promise<T>, refresh: boolean): Promise<T> {
    const now = this.clock.now();
    const existing = entries.get(key);
    if (existing?.pending) return existing.pending;
    if (existing?.value !== undefined && !refresh && now - existing.fetchedAt < this.options.cacheMs) return Promise.resolve(existing.value);

    const usable = (entry: Entry<T>) => entry.value !== undefined && this.clock.now() - entry.fetchedAt < this.options.cacheMs + this.options.maxStaleMs;
    if (existing && now - existing.attemptedAt < this.options.minRefetchMs) {
      if (usable(existing)) return Promise.resolve(existing.value as T);
      return Promise.reject(existing.error ?? new RemoteKeyError(`${key} was fetched moments ago without result`));
    }

    const entry: Entry<T> = existing ?? { fetchedAt: 0, attemptedAt: 0 };
    entries.set(key, entry);
    entry.attemptedAt = now;
    entry.pending = load()
      .then(
        (value) => {
          entry.value = value;
          entry.fetchedAt = this.clock.now();
          entry.error = undefined;
          return value;
        },
        (error: Error) => {
          entry.error = error;
          this.logger.warn({ url: key, err: error }, usable(entry) ? 'fetching keys failed; using the copy fetched before' : 'fetching keys failed');
          if (usable(entry)) return entry.value as T;
          throw error;
        },
      )
      .finally(() => {
        entry.pending = undefined;
      });
    return entry.pending;
  }

  private async fetchKeySet(url: string): Promise<JWK[]> {
    const body = await this.fetchJson(url);
    const keys = (body as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) throw new RemoteKeyError(`${url} is not a JWKS: it has no "keys" array`);
    if (keys.length > MAX_KEYS) throw new RemoteKeyError(`${url} lists ${keys.length} keys; at most ${MAX_KEYS} are read`);

    // A key that is private, symmetric, too small or malformed is left out rather than failing the set.
    const valid: JWK[] = [];
    for (const key of keys) {
      try {
        valid.push(normalisePublicJwk(key));
      } catch {
        // skipped
      }
    }
    return valid;
  }

  private async fetchJwksUri(issuer: string): Promise<string> {
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const body = (await this.fetchJson(url)) as { issuer?: unknown; jwks_uri?: unknown } | null;
    // OpenID Connect Discovery §4.3: the configuration must name the issuer it was fetched for.
    if (body?.issuer !== issuer) throw new RemoteKeyError(`${url} names the issuer ${JSON.stringify(body?.issuer)}, not ${issuer}`);
    if (typeof body.jwks_uri !== 'string') throw new RemoteKeyError(`${url} has no jwks_uri`);
    const problem = keySourceUrlProblem(body.jwks_uri, this.options.allowInsecure);
    if (problem) throw new RemoteKeyError(`the jwks_uri of ${issuer} ${problem}`);
    return body.jwks_uri;
  }

  private async fetchJson(url: string): Promise<unknown> {
    const problem = keySourceUrlProblem(url, this.options.allowInsecure);
    if (problem) throw new RemoteKeyError(`${url} ${problem}`);

    const signal = AbortSignal.timeout(this.options.timeoutMs);
    let response: Response;
    try {
      response = await fetch(url, { redirect: 'error', signal, headers: { accept: 'application/json' } });
    } catch (error) {
      throw new RemoteKeyError(`fetching ${url} failed: ${(error as Error).message}`, { cause: error });
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new RemoteKeyError(`${url} returned HTTP ${response.status}`);
    }

    const text = await readLimited(response, this.options.maxBytes, url);
    try {
      return JSON.parse(text);
    } catch {
      throw new RemoteKeyError(`${url} did not return JSON`);
    }
  }
}

function fitting(keys: JWK[], header: { alg: string; kid?: string }): KeyObject[] {
  return keys.filter((key) => (header.kid === undefined || key.kid === header.kid) && keyFitsAlgorithm(key, header.alg)).map(importVerificationKey);
}

async function readLimited(response: Response, maxBytes: number, url: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new RemoteKeyError(`${url} sent ${declared} bytes; at most ${maxBytes} are read`);
  }
  if (!response.body) return '';

  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw new RemoteKeyError(`${url} sent more than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof RemoteKeyError) throw error;
    throw new RemoteKeyError(`reading ${url} failed: ${(error as Error).message}`, { cause: error });
  }
  return Buffer.concat(chunks).toString('utf8');
}
