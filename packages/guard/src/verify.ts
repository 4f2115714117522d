import { ACCESS_TOKEN_TYPE, CLAIMS } from '@tessera/shared';
import { errors as joseErrors, jwtVerify } from 'jose';
import { discoverJwksUri } from './discovery.js';
import { GuardError } from './errors.js';
import { DEFAULT_KEY_SET_TIMINGS, IssuerKeySet, type KeySetTimings } from './key-set.js';
import type { ResolvedOptions } from './options.js';
import { type Principal, principalFromClaims } from './principal.js';

// A token whose iat is older than the maximum lifetime is rejected whatever its exp claims.
export { MAX_TOKEN_LIFETIME_SECONDS } from '@tessera/shared';
import { MAX_TOKEN_LIFETIME_SECONDS } from '@tessera/shared';

/** Time between two attempts to fetch the issuer metadata after one failed. */
const DISCOVERY_RETRY_MS = 5000;

/**
 * Checks access tokens against the issuer's published keys. The key set's URL comes from
 * the issuer metadata, fetched on start or on first use and retried after a failure.
 */
export class TokenVerifier {
  private keySet: IssuerKeySet | undefined;
  private discovery: Promise<IssuerKeySet | undefined> | undefined;
  private discoveryFailedAt = Number.NEGATIVE_INFINITY;
  private discoveryFailures = 0;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly keySetTimings: KeySetTimings = DEFAULT_KEY_SET_TIMINGS,
  ) {}

  /**
   * Fetches the issuer metadata and the keys unless that is done. Returns false when the
   * issuer cannot be reached, and a later call tries again.
   */
  async discover(): Promise<boolean> {
    const keySet = await this.loadKeySet();
    if (!keySet) return false;

    return keySet.refresh().then(
      () => true,
      () => false,
    );
  }

  private loadKeySet(): Promise<IssuerKeySet | undefined> {
    if (this.keySet) return Promise.resolve(this.keySet);
    if (performance.now() - this.discoveryFailedAt < DISCOVERY_RETRY_MS) return Promise.resolve(undefined);

    this.discovery ??= this.fetchKeySet().finally(() => {
      this.discovery = undefined;
    });
    return this.discovery;
  }

  private async fetchKeySet(): Promise<IssuerKeySet | undefined> {
    const { issuer, logger } = this.options;
    try {
      const jwksUri = await discoverJwksUri(issuer);
      this.keySet = new IssuerKeySet(jwksUri, logger, this.keySetTimings);
      logger.info({ issuer, jwksUri: jwksUri.href, failedAttempts: this.discoveryFailures }, 'guard found the issuer key set');
      return this.keySet;
    } catch (error) {
      this.discoveryFailedAt = performance.now();
      this.discoveryFailures += 1;
      // Logged once; later attempts until a success only at debug level, so an issuer that stays down does not flood the log.
      const level = this.discoveryFailures === 1 ? 'warn' : 'debug';
      logger[level]({ issuer, err: error, failedAttempts: this.discoveryFailures }, `fetching the issuer metadata failed; tokens are rejected with 503 until it succeeds, retried at the first request after ${DISCOVERY_RETRY_MS} ms`);
      return undefined;
    }
  }

  /** Verifies a token's signature, type, issuer, audience and lifetime, and returns its principal. */
  async verify(token: string): Promise<Principal | GuardError> {
    const keySet = await this.loadKeySet();
    if (!keySet) return new GuardError('temporarily_unavailable');

    const { issuer, audience, algorithms, clockToleranceSeconds, now } = this.options;
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keySet.getKey, {
        issuer,
        audience,
        algorithms,
        typ: ACCESS_TOKEN_TYPE,
        clockTolerance: clockToleranceSeconds,
        currentDate: new Date(now()),
        maxTokenAge: MAX_TOKEN_LIFETIME_SECONDS,
        requiredClaims: ['sub', 'jti', 'exp', 'iat', CLAIMS.clientId, CLAIMS.credentialId],
      }));
    } catch (error) {
      return guardErrorFromJose(error);
    }

    // jose accepts an aud array that contains the audience; Tessera issues one audience per token, so anything else is not ours.
    if (payload.aud !== audience) return new GuardError('wrong_audience');

    const principal = principalFromClaims(payload, audience);
    if ('invalidClaim' in principal) return new GuardError('malformed_token', { description: `The access token has an invalid ${principal.invalidClaim} claim.` });
    return principal;
  }
}

const CLAIM_ERRORS: Record<string, GuardError['code']> = {
  typ: 'wrong_type',
  iss: 'wrong_issuer',
  aud: 'wrong_audience',
  nbf: 'not_yet_valid',
  iat: 'not_yet_valid',
};

/** Maps a jose failure to a guard error, keeping the jose error as `cause` for logs. */
export function guardErrorFromJose(error: unknown): GuardError {
  if (error instanceof joseErrors.JWTExpired) return new GuardError('expired', { cause: error });
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const code = error.reason === 'missing' ? 'malformed_token' : (CLAIM_ERRORS[error.claim] ?? 'malformed_token');
    const description = error.reason === 'missing' ? `The access token has no ${error.claim} claim.` : undefined;
    return new GuardError(code, { description, cause: error });
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return new GuardError('algorithm_not_allowed', { cause: error });
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return new GuardError('invalid_signature', { cause: error });
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) return new GuardError('unknown_key', { cause: error });
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid || error instanceof joseErrors.JOSENotSupported) {
    return new GuardError('malformed_token', { cause: error });
  }

  // A JWKS that cannot be fetched or parsed, or a failure outside jose: the token may be fine.
  return new GuardError('temporarily_unavailable', { cause: error });
}
