import { OAUTH_ERRORS, type OAuthErrorCode } from '@tessera/shared';

/**
 * An OAuth protocol error. `description` is safe to send to the client; `reason` is a stable
 * private code for the audit log and the server log. The reason may distinguish cases that
 * the client must not learn, since an unknown client id and a wrong secret look the same on the wire.
 */
export class OAuthError extends Error {
  override name = 'OAuthError';
  readonly status: number;
  /** Seconds for a Retry-After header. */
  retryAfter?: number;
  /** Set when the client authenticated with HTTP Basic, so a 401 names the Basic scheme. */
  usedBasic = false;
  /** The account and credential the failure concerns, when known, so the audit event names them. */
  accountId?: string;
  credentialId?: string;
  instanceId?: string;
  /** Further context for the audit event, such as the federation or issuer concerned; never a token. */
  auditDetails?: Record<string, unknown>;

  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly reason: string = code,
  ) {
    super(description);
    this.status = OAUTH_ERRORS[code].status;
  }
}

/** The one public message for every client authentication failure, whatever the cause. */
export const CLIENT_AUTH_FAILED = 'Client authentication failed: check the client id and secret.';

/** The one public message for every refused jwt-bearer assertion, whatever the cause. */
export const ASSERTION_GRANT_FAILED = 'The assertion was not accepted: no trusted workload identity matches its issuer, signature, audience, subject and lifetime.';
