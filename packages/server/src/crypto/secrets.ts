import { randomBytes, randomUUID } from 'node:crypto';

/**
 * Client secrets and client ids. A secret is the prefix "tss_", 43 base62 characters from
 * 32 random bytes (256 bits), and a 6-character base62 CRC-32 of the random part, so that a
 * secret scanner can recognise a Tessera secret and reject a mistyped one without a lookup.
 * Base62 is a subset of the URL-unreserved characters, so secrets need no escaping.
 */

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const SECRET_PREFIX = 'tss_';
export const CLIENT_ID_PREFIX = 'tsc_';
const RANDOM_LENGTH = 43;
const CHECKSUM_LENGTH = 6;

function toBase62(value: bigint, length: number): string {
  let text = '';
  let rest = value;
  for (let i = 0; i < length; i++) {
    text = ALPHABET[Number(rest % 62n)] + text;
    rest /= 62n;
  }
  return text;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function generateClientSecret(): string {
  const random = toBase62(BigInt(`0x${randomBytes(32).toString('hex')}`), RANDOM_LENGTH);
  return `${SECRET_PREFIX}${random}${toBase62(BigInt(crc32(random)), CHECKSUM_LENGTH)}`;
}

/** Checks the shape and checksum of a secret; a false result means it cannot be a Tessera secret. */
export function hasValidSecretChecksum(secret: string): boolean {
  if (secret.length !== SECRET_PREFIX.length + RANDOM_LENGTH + CHECKSUM_LENGTH || !secret.startsWith(SECRET_PREFIX)) return false;

  const random = secret.slice(SECRET_PREFIX.length, SECRET_PREFIX.length + RANDOM_LENGTH);
  const checksum = secret.slice(SECRET_PREFIX.length + RANDOM_LENGTH);
  if (![...random, ...checksum].every((char) => ALPHABET.includes(char))) return false;

  return toBase62(BigInt(crc32(random)), CHECKSUM_LENGTH) === checksum;
}

export const OPAQUE_TOKEN_PREFIX = 'tso_';

/** Generates an opaque access token: 256 random bits in base62 behind a prefix, meaningless without introspection. */
export function generateOpaqueToken(): string {
  return `${OPAQUE_TOKEN_PREFIX}${toBase62(BigInt(`0x${randomBytes(32).toString('hex')}`), RANDOM_LENGTH)}`;
}

/** Generates a client id. It is not secret, but random, so that it reveals nothing about the account. */
export function generateClientId(): string {
  return `${CLIENT_ID_PREFIX}${toBase62(BigInt(`0x${randomBytes(16).toString('hex')}`), 22)}`;
}

export function newId(): string {
  return randomUUID();
}
