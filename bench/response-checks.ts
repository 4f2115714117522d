/**
 * Checks of the responses a load run receives. Every response gets a cheap check while the
 * load runs: status, JSON body and the fields its kind must have. Token responses keep their
 * access token, and after the run every kept token is verified with jose, so that the
 * signature checks do not take load generator CPU during the measured part.
 */
import { type JWTVerifyGetKey, jwtVerify } from 'jose';

/** The counts of one autocannon run's checks. */
export class CheckTally {
  checked = 0;
  failed = 0;
  /** Responses that passed the cheap check and, for tokens, jose verification after the run. */
  verified = 0;
  /** The first failure's reason, for the report. */
  firstFailure: string | null = null;
  /** Access tokens kept for verification after the run. Only the token strings are kept, not whole bodies. */
  readonly tokens: string[] = [];

  constructor(
    /** Whether to keep tokens for verification. Warm-up runs only get the cheap check. */
    readonly keepTokens: boolean,
  ) {}

  fail(reason: string): void {
    this.failed += 1;
    this.firstFailure ??= reason;
  }
}

/** The checks that every response of one target must pass. */
export interface ResponseCheck {
  /** Checks one response during the load and records the outcome in `tally`. */
  inspect(status: number, body: string, tally: CheckTally): void;
  /** Verifies the tokens that `inspect` kept, after the load, and counts the verified responses. */
  verifyKept(tally: CheckTally): Promise<void>;
}

/** Returns the parsed JSON object of a 200 response, or records why the response failed. */
function parseOk(status: number, body: string, tally: CheckTally): Record<string, unknown> | null {
  tally.checked += 1;
  if (status !== 200) {
    tally.fail(`HTTP ${status}: ${body.slice(0, 200)}`);
    return null;
  }
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) return parsed as Record<string, unknown>;
  } catch {
    // Reported below with the body.
  }
  tally.fail(`the body is not a JSON object: ${body.slice(0, 200)}`);
  return null;
}

/** The expected issuer, audience and subject of a target's access tokens, and its signing keys. */
export interface TokenExpectation {
  /** The target's signing keys, fetched once before the load. */
  jwks: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  subject: string;
}

/** Tokens verified concurrently after a run, because jose's WebCrypto verification is asynchronous. */
const VERIFY_BATCH = 256;

/**
 * Returns the check for token responses: 200, a JSON body with token_type Bearer, an
 * access_token of three dot-separated parts and a positive expires_in. After the run each
 * kept token must verify with jose (signature, typ at+jwt, issuer, audience, exp) and have
 * the expected subject and a jti that no other token of the run has.
 */
export function tokenResponseCheck(expected: TokenExpectation): ResponseCheck {
  return {
    inspect(status, body, tally) {
      const parsed = parseOk(status, body, tally);
      if (!parsed) return;
      const token = parsed.access_token;
      if (parsed.token_type !== 'Bearer' || typeof token !== 'string' || token.split('.').length !== 3) {
        tally.fail(`no Bearer access_token with three JWT parts: ${body.slice(0, 200)}`);
        return;
      }
      if (typeof parsed.expires_in !== 'number' || parsed.expires_in <= 0) {
        tally.fail(`expires_in is not a positive number: ${body.slice(0, 200)}`);
        return;
      }
      if (tally.keepTokens) tally.tokens.push(token);
      else tally.verified += 1;
    },

    async verifyKept(tally) {
      const seenIds = new Set<string>();
      const verifyOne = async (token: string) => {
        try {
          const { payload } = await jwtVerify(token, expected.jwks, { typ: 'at+jwt', issuer: expected.issuer, audience: expected.audience, requiredClaims: ['exp', 'jti'] });
          if (payload.sub !== expected.subject) return tally.fail(`sub is "${payload.sub}", expected "${expected.subject}"`);
          if (seenIds.has(payload.jti!)) return tally.fail(`jti "${payload.jti}" was issued twice`);
          seenIds.add(payload.jti!);
          tally.verified += 1;
        } catch (error) {
          tally.fail(`jose rejected a token: ${(error as Error).message}`);
        }
      };

      for (let start = 0; start < tally.tokens.length; start += VERIFY_BATCH) {
        await Promise.all(tally.tokens.slice(start, start + VERIFY_BATCH).map(verifyOne));
      }
      tally.tokens.length = 0;
    },
  };
}

/**
 * Returns the check for RFC 7662 introspection responses: 200 and a JSON body with active
 * true, the client_id and scope of the introspected token.
 */
export function introspectionResponseCheck(expected: { clientId: string; scope: string }): ResponseCheck {
  return {
    inspect(status, body, tally) {
      const parsed = parseOk(status, body, tally);
      if (!parsed) return;
      if (parsed.active !== true || parsed.client_id !== expected.clientId || parsed.scope !== expected.scope) {
        tally.fail(`expected active true, client_id "${expected.clientId}" and scope "${expected.scope}": ${body.slice(0, 200)}`);
        return;
      }
      tally.verified += 1;
    },
    async verifyKept() {},
  };
}

/** Returns the check for the bare node:http server: 200 and its fixed JSON body with `ok` true. */
export function bareResponseCheck(): ResponseCheck {
  return {
    inspect(status, body, tally) {
      const parsed = parseOk(status, body, tally);
      if (!parsed) return;
      if (parsed.ok !== true) {
        tally.fail(`expected {"ok": true, ...}: ${body.slice(0, 200)}`);
        return;
      }
      tally.verified += 1;
    },
    async verifyKept() {},
  };
}
