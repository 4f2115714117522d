import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';

/**
 * Public keys that sign JWTs presented to Tessera: client keys for private_key_jwt and the
 * keys of outside issuers. Only asymmetric algorithms are accepted, so that no key Tessera
 * holds can be used to forge an assertion.
 */

/** Algorithms a client may sign a private_key_jwt assertion with; `Ed25519` is RFC 9864's name for EdDSA over Ed25519. */
export const CLIENT_ASSERTION_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA', 'Ed25519'] as const;

/** Algorithms accepted from outside issuers, which often sign with SHA-384 or SHA-512 variants too. */
export const ISSUER_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

export const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 16_384;

/** JWK members that only a private or symmetric key has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const EC_CURVE_ALGORITHMS: Record<string, string[]> = { 'P-256': ['ES256'], 'P-384': ['ES384'], 'P-521': ['ES512'] };
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const EDDSA_ALGORITHMS = ['EdDSA', 'Ed25519'];

/** A key that failed validation; the message completes a sentence that starts with the field name. */
export class PublicKeyError extends Error {
  override name = 'PublicKeyError';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Algorithms a key can verify, whatever the caller allows; its own `alg`, when set, narrows them. */
function algorithmsOfKey(jwk: JWK): string[] {
  let algorithms: string[] = [];
  if (jwk.kty === 'EC') algorithms = EC_CURVE_ALGORITHMS[jwk.crv ?? ''] ?? [];
  else if (jwk.kty === 'RSA') algorithms = RSA_ALGORITHMS;
  else if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') algorithms = EDDSA_ALGORITHMS;

  if (jwk.alg === undefined) return algorithms;
  // EdDSA and Ed25519 name the same signature over an Ed25519 key.
  const named = EDDSA_ALGORITHMS.includes(jwk.alg) ? EDDSA_ALGORITHMS : [jwk.alg];
  return algorithms.filter((alg) => named.includes(alg));
}

/** Tells whether a public key may verify a signature made with `alg`. */
export function keyFitsAlgorithm(jwk: JWK, alg: string): boolean {
  return algorithmsOfKey(jwk).includes(alg);
}

/**
 * Checks a JWK that an admin registers for private_key_jwt and returns its public part in a
 * canonical form: EC P-256, RSA of 2048 bits or more, or Ed25519, never private or symmetric
 * key material. Throws PublicKeyError with a message that says what to fix.
 */
export function normaliseClientJwk(input: unknown): JWK {
  const jwk = normalisePublicJwk(input);
  const usable = algorithmsOfKey(jwk).filter((alg) => (CLIENT_ASSERTION_ALGORITHMS as readonly string[]).includes(alg));
  if (usable.length === 0) {
    throw new PublicKeyError(
      jwk.alg
        ? `has "alg": "${jwk.alg}", which does not fit the key or is not accepted; use ES256 with P-256, RS256 or PS256 with RSA, or EdDSA with Ed25519`
        : `must be an EC key on P-256, an RSA key or an Ed25519 key (kty "${jwk.kty}"${jwk.crv ? `, crv "${jwk.crv}"` : ''} is not accepted)`,
    );
  }
  return jwk;
}

/**
 * Validates a public JWK and keeps only the members that define it (kty, crv, x, y, n, e)
 * and its kid, alg and use. Also used, through `importVerificationKey`, for keys fetched from
 * a JWKS, where a key that fails is skipped.
 */
export function normalisePublicJwk(input: unknown): JWK {
  if (!isObject(input)) throw new PublicKeyError('must be a JSON object holding a public JWK (RFC 7517)');

  if (input.kty === 'oct') {
    throw new PublicKeyError('is a symmetric key (kty "oct"); register the public half of an asymmetric key pair (EC P-256, RSA or Ed25519)');
  }
  const privateMember = PRIVATE_MEMBERS.find((member) => member in input);
  if (privateMember !== undefined) {
    throw new PublicKeyError(
      `contains private key material (the "${privateMember}" member); send only the public key (for EC: kty, crv, x, y) and keep the private key with the client. If the private key was sent over a channel others can read, generate a new key pair`,
    );
  }

  const jwk: JWK = {};
  const text = (name: string, maxLength = 4096): string | undefined => {
    const value = input[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) throw new PublicKeyError(`member "${name}" must be a non-empty string of at most ${maxLength} characters`);
    return value;
  };

  const kty = text('kty');
  if (kty !== 'EC' && kty !== 'RSA' && kty !== 'OKP') {
    throw new PublicKeyError(kty === undefined ? 'lacks the "kty" member; set it to "EC", "RSA" or "OKP"' : `has kty "${kty.slice(0, 20)}"; use "EC" (P-256), "RSA" or "OKP" (Ed25519)`);
  }
  jwk.kty = kty;
  const members = kty === 'EC' ? ['crv', 'x', 'y'] : kty === 'RSA' ? ['n', 'e'] : ['crv', 'x'];
  for (const member of members) {
    const value = text(member);
    if (value === undefined) throw new PublicKeyError(`lacks the "${member}" member, which a ${kty} public key needs`);
    if (member !== 'crv' && !/^[A-Za-z0-9_-]+$/.test(value)) throw new PublicKeyError(`member "${member}" must be base64url without padding`);
    (jwk as Record<string, string>)[member] = value;
  }

  const kid = text('kid', 256);
  if (kid !== undefined) jwk.kid = kid;
  const alg = text('alg', 20);
  if (alg !== undefined) jwk.alg = alg;
  const use = text('use', 20);
  if (use !== undefined) {
    if (use !== 'sig') throw new PublicKeyError(`has "use": "${use}"; a key that verifies signatures has "use": "sig" or no use`);
    jwk.use = use;
  }
  const keyOps = input.key_ops;
  if (keyOps !== undefined && (!Array.isArray(keyOps) || !keyOps.includes('verify'))) {
    throw new PublicKeyError('has "key_ops" without "verify"; leave key_ops out or include "verify"');
  }

  let key: KeyObject;
  try {
    key = createPublicKey({ key: { ...jwk } as Record<string, string>, format: 'jwk' });
  } catch {
    throw new PublicKeyError(`is not a valid ${kty} public key: check the ${members.join(', ')} members`);
  }
  if (kty === 'RSA') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) throw new PublicKeyError(`is an RSA key of ${bits} bits; use at least ${MIN_RSA_BITS} bits`);
  }
  return jwk;
}

/** Imports a validated JWK for signature checks. */
export function importVerificationKey(jwk: JWK): KeyObject {
  return createPublicKey({ key: { ...jwk } as Record<string, string>, format: 'jwk' });
}

/** The RFC 7638 thumbprint (SHA-256, base64url) of a public JWK. */
export function jwkThumbprint(jwk: JWK): string {
  // The required members in lexicographic order, serialised without whitespace.
  let canonical: string;
  if (jwk.kty === 'EC') canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  else if (jwk.kty === 'RSA') canonical = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  else canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return createHash('sha256').update(canonical).digest('base64url');
}
