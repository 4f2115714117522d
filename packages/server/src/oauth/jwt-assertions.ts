import type { KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, type JWTPayload, type JWTVerifyOptions, jwtVerify } from 'jose';

/**
 * Checks shared by the two kinds of JWT that Tessera accepts from others: private_key_jwt
 * client assertions (RFC 7523 §2.2) and outside tokens in the jwt-bearer grant (§2.1).
 * Failures are stable private reasons for the audit log; clients see one public message.
 */

/** Clock difference tolerated between Tessera and the signer, in seconds. */
export const CLOCK_SKEW_SECONDS = 30;
const MAX_JTI_LENGTH = 256;

export interface PeekedJwt {
  header: { alg: string; kid?: string };
  claims: JWTPayload;
}

/** Reads a compact JWS's header and claims without checking anything; undefined when it is not one. */
export function peekJwt(jwt: string): PeekedJwt | undefined {
  try {
    const header = decodeProtectedHeader(jwt);
    const claims = decodeJwt(jwt);
    if (typeof header.alg !== 'string' || (header.kid !== undefined && typeof header.kid !== 'string')) return undefined;
    return { header: { alg: header.alg, kid: header.kid }, claims };
  } catch {
    return undefined;
  }
}

export type KeyCheck =
  /** The key did not make this signature, or does not fit it. */
  | { status: 'not_signed_by_key' }
  /** The signature is valid; `failure` is set when a claim check failed. */
  | { status: 'verified'; payload: JWTPayload; failure?: string };

/** Maps a jose claim error to a private reason, or returns undefined for other errors. */
function claimFailure(error: unknown): string | undefined {
  if (error instanceof joseErrors.JWTExpired) return 'assertion_expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return `assertion_missing_${error.claim}`;
    switch (error.claim) {
      case 'aud':
        return 'assertion_wrong_audience';
      case 'iss':
        return 'assertion_wrong_issuer';
      case 'sub':
        return 'assertion_wrong_subject';
      case 'nbf':
        return 'assertion_not_yet_valid';
      default:
        return 'assertion_invalid_claim';
    }
  }
  if (error instanceof joseErrors.JWTInvalid) return 'assertion_malformed';
  return undefined;
}

/**
 * Checks the signature with one key and then the claims. jose checks the signature first,
 * so a claim failure means the key signed the JWT, which tells whose credential it was.
 */
export async function checkJwtWithKey(jwt: string, key: KeyObject, options: JWTVerifyOptions): Promise<KeyCheck> {
  try {
    const { payload } = await jwtVerify(jwt, key, options);
    return { status: 'verified', payload };
  } catch (error) {
    const failure = claimFailure(error);
    if (failure !== undefined) return { status: 'verified', payload: decodeJwt(jwt), failure };
    // A wrong signature, a key that does not fit the algorithm, or a malformed JWS.
    if (error instanceof joseErrors.JOSEError || error instanceof TypeError) return { status: 'not_signed_by_key' };
    throw error;
  }
}

/**
 * Lifetime checks beyond jose's: `iat` not in the future, `exp` not further ahead than
 * `maxLifetimeSeconds`, and, when given, the token not older than `maxAgeSeconds`.
 */
export function lifetimeFailure(payload: JWTPayload, nowMs: number, maxLifetimeSeconds: number, maxAgeSeconds?: number): string | undefined {
  const now = Math.floor(nowMs / 1000);
  if (typeof payload.iat === 'number' && payload.iat > now + CLOCK_SKEW_SECONDS) return 'assertion_issued_in_future';
  if (typeof payload.exp === 'number' && payload.exp - now > maxLifetimeSeconds + CLOCK_SKEW_SECONDS) return 'assertion_lifetime_too_long';
  if (maxAgeSeconds !== undefined && typeof payload.iat === 'number' && now - payload.iat > maxAgeSeconds + CLOCK_SKEW_SECONDS) return 'assertion_too_old';
  return undefined;
}

/** Tells whether a jti is usable as a replay key. */
export function isValidJti(jti: unknown): jti is string {
  return typeof jti === 'string' && jti.length > 0 && jti.length <= MAX_JTI_LENGTH;
}

/** When a used jti may be forgotten: once the assertion is expired even with clock skew. */
export function replayWindowEnd(payload: JWTPayload): number {
  return (Number(payload.exp) + CLOCK_SKEW_SECONDS) * 1000;
}

/**
 * Names why no key verified an assertion: a key fitted but the signature did not, the key
 * source could not be fetched, or no key fitted the header at all.
 */
export function unverifiedReason(anyKeyFits: boolean, keySourceUnreachable: boolean): 'assertion_bad_signature' | 'jwks_unavailable' | 'assertion_key_unknown' {
  if (anyKeyFits) return 'assertion_bad_signature';
  if (keySourceUnreachable) return 'jwks_unavailable';
  return 'assertion_key_unknown';
}
