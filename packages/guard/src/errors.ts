import { DPOP_ALGORITHMS } from '@tessera/shared';

/**
 * Every reason guard rejects a request, with its HTTP status and RFC 6750 (or RFC 9449) error.
 * The codes are stable: products may branch on them, log them and count them.
 */
export const GUARD_ERRORS = {
  missing_token: { status: 401, error: 'invalid_request', description: 'The request has no bearer token in the Authorization header.' },
  malformed_token: { status: 401, error: 'invalid_token', description: 'The access token is not a well-formed Tessera JWT.' },
  algorithm_not_allowed: { status: 401, error: 'invalid_token', description: 'The access token is signed with an algorithm that is not allowed.' },
  invalid_signature: { status: 401, error: 'invalid_token', description: 'The access token signature is invalid.' },
  unknown_key: { status: 401, error: 'invalid_token', description: 'The access token is signed with a key that the issuer does not publish.' },
  wrong_type: { status: 401, error: 'invalid_token', description: 'The token is not an access token (typ must be at+jwt).' },
  wrong_issuer: { status: 401, error: 'invalid_token', description: 'The access token comes from another issuer.' },
  wrong_audience: { status: 401, error: 'invalid_token', description: 'The access token is for another audience.' },
  expired: { status: 401, error: 'invalid_token', description: 'The access token expired.' },
  not_yet_valid: { status: 401, error: 'invalid_token', description: 'The access token is not valid yet.' },
  revoked: { status: 401, error: 'invalid_token', description: 'The access token was revoked.' },
  inactive: { status: 401, error: 'invalid_token', description: 'The issuer reports the access token as inactive: expired, revoked or unknown.' },
  invalid_dpop_proof: { status: 401, error: 'invalid_dpop_proof', description: 'The DPoP proof is missing, invalid or replayed.' },
  dpop_bound_token: { status: 401, error: 'invalid_token', description: 'The access token is bound to a DPoP key; send it with Authorization: DPoP and a DPoP proof.' },
  token_not_bound: { status: 401, error: 'invalid_token', description: 'The access token is not bound to a DPoP key; send it with Authorization: Bearer.' },
  insufficient_scope: { status: 403, error: 'insufficient_scope', description: 'The access token lacks the required scope.' },
  resource_forbidden: { status: 403, error: 'insufficient_scope', description: 'The access token does not grant access to this resource.' },
  temporarily_unavailable: {
    status: 503,
    error: 'temporarily_unavailable',
    description: 'Access tokens cannot be checked right now because the issuer is unreachable; retry later.',
  },
} as const;

export type GuardErrorCode = keyof typeof GUARD_ERRORS;

/** The RFC 6750 `error` value, `invalid_dpop_proof` from RFC 9449, or `temporarily_unavailable` from RFC 6749 for a 503. */
export type BearerErrorValue = (typeof GUARD_ERRORS)[GuardErrorCode]['error'];

/**
 * Characters outside the set RFC 6750 §3 allows in error_description and scope values
 * (%x20-21 / %x23-5B / %x5D-7E). Node also refuses to send non-Latin-1 header values.
 */
const OUTSIDE_ALLOWED = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;

/** Codes that concern DPoP, sent with a DPoP challenge whatever scheme the request used. */
const DPOP_CODES: ReadonlySet<GuardErrorCode> = new Set(['invalid_dpop_proof', 'dpop_bound_token', 'token_not_bound']);

/** The authentication scheme a challenge names: RFC 6750 Bearer or RFC 9449 DPoP. */
export type ChallengeScheme = 'Bearer' | 'DPoP';

function quote(value: string): string {
  return `"${value.replace(OUTSIDE_ALLOWED, '?')}"`;
}

/**
 * A rejection by guard. The message and description are public and never contain the
 * token, so products may send them to the client and log them.
 */
export class GuardError extends Error {
  readonly code: GuardErrorCode;
  /** 401 for a missing or invalid token, 403 for a valid token without access, 503 when guard cannot check tokens. */
  readonly status: 401 | 403 | 503;
  readonly error: BearerErrorValue;
  readonly description: string;
  /** The scope that the request needed, for `insufficient_scope`. */
  readonly scope: string | undefined;
  /** The scheme of the challenge: DPoP for DPoP errors and for requests that used the DPoP scheme. */
  readonly scheme: ChallengeScheme;
  /**
   * The RFC 6750 WWW-Authenticate header value, or undefined for a 503, which is not the
   * token's fault.
   */
  readonly wwwAuthenticate: string | undefined;

  constructor(code: GuardErrorCode, options: { description?: string; scope?: string; cause?: unknown; scheme?: ChallengeScheme } = {}) {
    const entry = GUARD_ERRORS[code];
    const description = options.description ?? entry.description;
    super(description, options.cause === undefined ? undefined : { cause: options.cause });

    this.name = 'GuardError';
    this.code = code;
    this.status = entry.status;
    this.error = entry.error;
    this.description = description;
    this.scope = options.scope;
    this.scheme = options.scheme ?? (DPOP_CODES.has(code) ? 'DPoP' : 'Bearer');
    this.wwwAuthenticate = buildWwwAuthenticate(code, description, options.scope, this.scheme);
  }

  /** Returns this error with a DPoP challenge, for a request that presented its token with the DPoP scheme. */
  withDpopChallenge(): GuardError {
    if (this.scheme === 'DPoP') return this;
    return new GuardError(this.code, { description: this.description, scope: this.scope, cause: this.cause, scheme: 'DPoP' });
  }
}

/**
 * Builds the challenge of RFC 6750 §3 or RFC 9449 §7.1. A request without any token gets a
 * bare challenge, because RFC 6750 §3.1 recommends no error code then.
 */
function buildWwwAuthenticate(code: GuardErrorCode, description: string, scope: string | undefined, scheme: ChallengeScheme): string | undefined {
  if (code === 'missing_token') return 'Bearer';

  const entry = GUARD_ERRORS[code];
  if (entry.status === 503) return undefined;

  const parts = [`error=${quote(entry.error)}`, `error_description=${quote(description)}`];
  if (scope !== undefined) parts.push(`scope=${quote(scope)}`);
  // RFC 9449 §7.1: a DPoP challenge lists the proof algorithms the resource server accepts.
  if (scheme === 'DPoP') parts.push(`algs=${quote(DPOP_ALGORITHMS.join(' '))}`);
  return `${scheme} ${parts.join(', ')}`;
}

/** Returns the JSON body that the adapters send with a rejection. */
export function errorBody(error: GuardError): { error: BearerErrorValue; error_description: string } {
  return { error: error.error, error_description: error.description };
}
