import type { Profile } from '@tessera/shared';
import type { Logger } from 'pino';
import type { Grant } from '../../accounts/access.js';
import type { Policy } from '../../accounts/policy.js';
import type { RateLimitWindow } from '../../accounts/rate-limiter.js';
import type { CredentialRow, FederationRow, GrantRow, InstanceRow, ServiceAccountRow } from '../../storage/tables.js';
import type { ClientAuthMethod } from '../client-auth.js';

export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';
/** RFC 7523 §2.1: a JWT from a trusted outside issuer stands in for client authentication. */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export type GrantType = typeof CLIENT_CREDENTIALS_GRANT | typeof JWT_BEARER_GRANT;

/**
 * The account a token request acts for and what proved it: one of the account's credentials
 * (a secret or a public key), or a federation rule that accepted an outside token.
 */
export interface TokenClient {
  account: ServiceAccountRow;
  method: ClientAuthMethod | 'jwt_bearer';
  credential?: CredentialRow;
  federation?: FederationRow;
  /** The outside token's subject, for a federated request. */
  federatedSubject?: string;
  /** The account's grants and their instances when client authentication read them already. */
  grants?: GrantRow[];
  instances?: InstanceRow[];
}

/** State of one token request, filled in by its steps in order. */
export interface TokenRequest {
  params: Map<string, string[]>;
  authorization: string | undefined;
  /** Values of the DPoP headers, one entry per header; empty when the request has none. */
  dpopProofs: string[];
  /** The token endpoint URL the client used, built from the issuer, which a DPoP proof's htu must name. */
  endpointUrl: string;
  sourceIp: string;
  userAgent: string | null;
  /** The request's logger, whose lines carry the request id; the server logger when absent. */
  log?: Pick<Logger, 'error'>;
  grantType?: GrantType;
  /** The client id the request presented, known once credentials are read. */
  presentedClientId?: string;
  client?: TokenClient;
  instance?: InstanceRow;
  profile?: Profile;
  grant?: Grant;
  scopes?: string[];
  /** The organisation's policy as it stood when the request was checked. */
  policy?: Policy;
  /** Set when the account went over a rate limit in log-only mode, so the audit event shows it. */
  rateLimitExceeded?: RateLimitWindow;
  /** RFC 7638 thumbprint of the DPoP proof's key, set when the token is to be bound to it. */
  dpopKeyThumbprint?: string;
}

/** The id that the token's credential_id claim carries: the credential's, or the federation's. */
export function authenticatorId(client: TokenClient): string {
  return client.credential?.id ?? client.federation!.id;
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
  jti: string;
  /** `DPoP` for a token bound to a key with `cnf.jkt`, else `Bearer`. */
  tokenType: 'Bearer' | 'DPoP';
  /** Set for an opaque token: the claims to store with it. */
  opaqueClaims?: Record<string, unknown>;
}
