import { type FlattenedJWSInput, type JSONWebKeySet, type JWSHeaderParameters, createLocalJWKSet, errors as joseErrors } from 'jose';
import { ISSUER_REQUEST_TIMEOUT_MS } from './discovery.js';
import type { GuardLogger } from './logger.js';

export interface KeySetTimings {
  /** Age after which the keys are refetched in the background. */
  refreshAfterMs: number;
  /** Minimum time between two fetches of the key set, also for a token with an unknown kid. */
  cooldownMs: number;
  /** Minimum time between two fetches while no keys are loaded, because the first fetch failed. */
  retryWithoutKeysMs: number;
}

/**
 * Tessera serves its JWKS with Cache-Control max-age=300, so keys older than five minutes
 * are refreshed. The cooldown matches jose's createRemoteJWKSet default.
 */
export const DEFAULT_KEY_SET_TIMINGS: KeySetTimings = { refreshAfterMs: 300_000, cooldownMs: 30_000, retryWithoutKeysMs: 5000 };

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/**
 * The issuer's public keys, fetched from its JWKS. jose 6's createRemoteJWKSet makes every
 * verification wait for a refetch once its cache is ten minutes old, and fails it when the
 * issuer is down. This set refreshes in the background instead and keeps the keys it has
 * while the issuer is unreachable. An unknown kid triggers a refetch, at most once per
 * cooldown, because the issuer may have published a new key.
 */
export class IssuerKeySet {
  private local: LocalKeySet | undefined;
  /** performance.now() of the last successful fetch. */
  private fetchedAt = Number.NEGATIVE_INFINITY;
  /** performance.now() of the last fetch, successful or not. */
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly url: URL,
    private readonly logger: GuardLogger,
    private readonly timings: KeySetTimings = DEFAULT_KEY_SET_TIMINGS,
  ) {}

  /** Returns the key for a token, in the shape jose's jwtVerify expects as its key argument. */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    const now = performance.now();
    if (!this.local) {
      if (now - this.attemptedAt < this.timings.retryWithoutKeysMs) throw new Error(`the issuer key set at ${this.url.href} could not be fetched, and the next attempt is at most ${this.timings.retryWithoutKeysMs} ms away`);
      await this.refresh();
    } else if (now - this.fetchedAt > this.timings.refreshAfterMs && now - this.attemptedAt > this.timings.cooldownMs) {
      // Failures are logged in fetchKeys; verification goes on with the keys already loaded.
      this.refresh().catch(() => {});
    }

    try {
      return await (this.local as LocalKeySet)(header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey) || performance.now() - this.attemptedAt < this.timings.cooldownMs) throw error;

      const refreshed = await this.refresh().then(
        () => true,
        () => false,
      );
      if (!refreshed) throw error;
      return (this.local as LocalKeySet)(header, token);
    }
  };

  /** Fetches the keys now, unless a fetch is under way; rejects when the fetch fails. */
  refresh(): Promise<void> {
    this.pending ??= this.fetchKeys().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetchKeys(): Promise<void> {
    this.attemptedAt = performance.now();
    try {
      const response = await fetch(this.url, { headers: { accept: 'application/jwk-set+json, application/json' }, signal: AbortSignal.timeout(ISSUER_REQUEST_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`the issuer key set at ${this.url.href} returned HTTP ${response.status}`);

      const jwks = (await response.json()) as JSONWebKeySet;
      this.local = createLocalJWKSet(jwks);
      this.fetchedAt = performance.now();
    } catch (error) {
      if (!this.failing) {
        this.failing = true;
        const consequence = this.local
          ? `the keys already loaded stay in use, and the next attempt is after ${this.timings.cooldownMs} ms`
          : `tokens cannot be verified until a fetch succeeds, and the next attempt is after ${this.timings.retryWithoutKeysMs} ms`;
        this.logger.warn({ url: this.url.href, err: error }, `fetching the issuer key set failed; ${consequence}`);
      }
      throw error;
    }

    if (this.failing) {
      this.failing = false;
      this.logger.info({ url: this.url.href }, 'the issuer key set is reachable again');
    }
  }
}
