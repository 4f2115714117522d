/**
 * DPoP proof checks of RFC 9449 §4.3 that the token endpoint and guard share. RFC 9449 is a
 * published standard (September 2023), not a draft, so it needs no flag naming a draft version.
 * Replay detection is left to the caller, because the server keeps seen proofs in its database
 * and guard keeps them in memory.
 */
import { createHash } from 'node:crypto';
import { EmbeddedJWK, type JWK, type JWTPayload, calculateJwkThumbprint, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';

export const DPOP_PROOF_TYPE = 'dpop+jwt';

/** Asymmetric algorithms accepted for proofs, in the order advertised. `none` and HMAC never are. */
export const DPOP_ALGORITHMS = ['ES256', 'EdDSA', 'RS256', 'PS256'] as const;

/** Seconds a proof's iat may lie before or after the receiver's clock. */
export const DPOP_PROOF_MAX_AGE_SECONDS = 60;

/** A proof larger than this is rejected before it is parsed; an RSA-4096 proof is about 2 KiB (an estimate from its parts). */
const MAX_PROOF_LENGTH = 8192;

/** A jti longer than this is rejected; RFC 9449 suggests at least 96 random bits or a UUID, a few dozen characters. */
const MAX_JTI_LENGTH = 256;

/** JWK members that only private or symmetric keys have (RFC 7518 §6). */
const PRIVATE_KEY_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * A rejected proof. `reason` is a stable code for logs and audit events, and `description`
 * explains what is wrong and how to fix it without quoting the proof or a token.
 */
export class DpopProofError extends Error {
  override name = 'DpopProofError';

  constructor(
    readonly reason: string,
    readonly description: string,
    options?: { cause?: unknown },
  ) {
    super(description, options);
  }
}

export interface DpopProofExpectations {
  /** The HTTP method of the request, compared with htm. */
  method: string;
  /** The URL the client used for the request; query and fragment are ignored. */
  url: string;
  /** Current time in epoch milliseconds. */
  now: number;
  /** The access token the request presents, whose hash ath must be; undefined at the token endpoint, where ath must be absent. */
  accessToken?: string;
}

export interface VerifiedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's public key, base64url: the `cnf.jkt` value. */
  jkt: string;
  jti: string;
  /** Epoch seconds. */
  iat: number;
}

/** Returns base64url(SHA-256(token)), the `ath` value of RFC 9449 §4.2. */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

/**
 * Normalises a URL for the htu comparison: scheme and host lowercased, default port dropped,
 * dot segments resolved, query and fragment removed (RFC 9449 §4.3, RFC 3986 §6.2.2 and §6.2.3).
 * Returns undefined for a string that is not an absolute http or https URL.
 */
export function normaliseHtu(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  return `${url.origin}${url.pathname}`;
}

function checkHeader(proof: string): { jwk: JWK } {
  let header;
  try {
    header = decodeProtectedHeader(proof);
  } catch (error) {
    throw new DpopProofError('malformed', 'The DPoP header is not a JWT in compact serialization.', { cause: error });
  }

  if (header.typ !== DPOP_PROOF_TYPE) throw new DpopProofError('wrong_typ', `The DPoP proof must have the header typ "${DPOP_PROOF_TYPE}".`);
  if (typeof header.alg !== 'string' || !(DPOP_ALGORITHMS as readonly string[]).includes(header.alg)) {
    throw new DpopProofError('algorithm_not_allowed', `The DPoP proof must be signed with one of ${DPOP_ALGORITHMS.join(', ')}.`);
  }

  const jwk = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new DpopProofError('missing_jwk', 'The DPoP proof header must contain the public key as a jwk object.');
  }
  if (PRIVATE_KEY_MEMBERS.some((member) => member in jwk)) {
    throw new DpopProofError('private_jwk', 'The jwk header of the DPoP proof contains private key material; send only the public key, and replace this key because it was exposed.');
  }
  return { jwk };
}

async function checkSignature(proof: string): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(proof, EmbeddedJWK, { typ: DPOP_PROOF_TYPE, algorithms: [...DPOP_ALGORITHMS] });
    return payload;
  } catch (error) {
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw new DpopProofError('invalid_signature', 'The DPoP proof signature does not verify with its jwk header.', { cause: error });
    }
    if (error instanceof joseErrors.JOSEError) throw new DpopProofError('malformed', `The DPoP proof is malformed: ${error.message}`, { cause: error });
    throw error;
  }
}

function checkClaims(payload: JWTPayload, expected: DpopProofExpectations): { jti: string; iat: number } {
  const { jti, iat, htm, htu, ath } = payload as JWTPayload & { htm?: unknown; htu?: unknown; ath?: unknown };

  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
    throw new DpopProofError('invalid_jti', `The DPoP proof needs a jti claim: a unique string of at most ${MAX_JTI_LENGTH} characters.`);
  }
  if (htm !== expected.method) throw new DpopProofError('wrong_htm', `The htm claim of the DPoP proof must be the request method ${expected.method}.`);

  const expectedHtu = normaliseHtu(expected.url);
  if (typeof htu !== 'string' || expectedHtu === undefined || normaliseHtu(htu) !== expectedHtu) {
    throw new DpopProofError('wrong_htu', `The htu claim of the DPoP proof must be the request URL ${expectedHtu ?? ''} without query or fragment.`);
  }

  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new DpopProofError('invalid_iat', 'The DPoP proof needs an iat claim in epoch seconds.');
  const ageSeconds = expected.now / 1000 - iat;
  if (ageSeconds > DPOP_PROOF_MAX_AGE_SECONDS) {
    throw new DpopProofError('iat_too_old', `The DPoP proof was issued more than ${DPOP_PROOF_MAX_AGE_SECONDS} seconds ago; create a fresh proof for every request.`);
  }
  if (ageSeconds < -DPOP_PROOF_MAX_AGE_SECONDS) {
    throw new DpopProofError('iat_in_future', `The DPoP proof's iat is more than ${DPOP_PROOF_MAX_AGE_SECONDS} seconds in the future; check the client's clock.`);
  }

  if (expected.accessToken === undefined) {
    if (ath !== undefined) throw new DpopProofError('unexpected_ath', 'A DPoP proof for the token endpoint must not have an ath claim.');
  } else if (ath !== accessTokenHash(expected.accessToken)) {
    throw new DpopProofError('wrong_ath', 'The ath claim of the DPoP proof must be the base64url SHA-256 hash of the access token sent with it.');
  }
  return { jti, iat };
}

/**
 * Verifies one DPoP proof against the request that carried it: header, signature with the
 * embedded public key, and the htm, htu, iat and ath claims. Throws a DpopProofError when
 * the proof is invalid. The caller checks that the jti was not seen before.
 */
export async function verifyDpopProof(proof: string, expected: DpopProofExpectations): Promise<VerifiedDpopProof> {
  if (proof.length > MAX_PROOF_LENGTH) throw new DpopProofError('too_long', `The DPoP proof is longer than ${MAX_PROOF_LENGTH} characters.`);

  const { jwk } = checkHeader(proof);
  const payload = await checkSignature(proof);
  const { jti, iat } = checkClaims(payload, expected);
  return { jkt: await calculateJwkThumbprint(jwk, 'sha256'), jti, iat };
}

/** Returns the replay-detection key of a proof: a hash of its key thumbprint and jti, so that a long jti costs no more to store. */
export function proofReplayKey(proof: VerifiedDpopProof): string {
  return createHash('sha256').update(`${proof.jkt}\u0000${proof.jti}`).digest('base64url');
}
