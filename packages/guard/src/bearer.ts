import { GuardError } from './errors.js';

/** The b64token syntax of RFC 6750 §2.1. */
const B64_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** A JWS in compact serialization: three base64url parts. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** A Tessera opaque token: the tso_ prefix and 43 base62 characters. */
const OPAQUE_TOKEN = /^tso_[0-9A-Za-z]{43}$/;

/** Maximum token length accepted, far above any Tessera token, so a huge header is not hashed or parsed. */
const MAX_TOKEN_LENGTH = 16_384;

/** An access token and the scheme it came with: `bearer` (RFC 6750) or `dpop` (RFC 9449 §7.1). */
export interface PresentedToken {
  scheme: 'bearer' | 'dpop';
  token: string;
}

/**
 * Extracts the token from an `Authorization: Bearer` or `Authorization: DPoP` header value. The
 * scheme is case-insensitive (RFC 9110 §11.1). Another scheme, or no header, counts as no token.
 */
export function extractAccessToken(header: string | string[] | undefined | null): PresentedToken | GuardError {
  if (Array.isArray(header)) {
    if (header.length !== 1) return header.length === 0 ? new GuardError('missing_token') : new GuardError('malformed_token', { description: 'The request has more than one Authorization header.' });
    header = header[0];
  }
  if (typeof header !== 'string') return new GuardError('missing_token');

  const match = /^([A-Za-z]+)(?: +(.*))?$/.exec(header.trim());
  const scheme = match?.[1].toLowerCase();
  if (!match || (scheme !== 'bearer' && scheme !== 'dpop') || !match[2]) return new GuardError('missing_token');

  const token = match[2];
  const presented: PresentedToken = { scheme, token };
  if (token.length > MAX_TOKEN_LENGTH) return new GuardError('malformed_token', { description: 'The access token is too long.' });
  if (OPAQUE_TOKEN.test(token)) return presented;
  if (!B64_TOKEN.test(token) || !COMPACT_JWS.test(token)) return new GuardError('malformed_token');
  return presented;
}

/**
 * Extracts the token from an `Authorization: Bearer` header value. The scheme is
 * case-insensitive (RFC 9110 §11.1). Another scheme, or no header, counts as no token.
 */
export function extractBearerToken(header: string | string[] | undefined | null): string | GuardError {
  const presented = extractAccessToken(header);
  if (presented instanceof GuardError) return presented;
  return presented.scheme === 'bearer' ? presented.token : new GuardError('missing_token');
}
