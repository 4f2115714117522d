import type { Profile } from '@tessera/shared';
import type { Grant } from '../../accounts/access.js';
import type { InstanceRow } from '../../storage/tables.js';
import type { AuthenticatedClient } from '../client-auth.js';

/** State of one token request, filled in by its steps in order. */
export interface TokenRequest {
  params: Map<string, string[]>;
  authorization: string | undefined;
  sourceIp: string;
  userAgent: string | null;
  /** The client id the request presented, known once credentials are read. */
  presentedClientId?: string;
  client?: AuthenticatedClient;
  instance?: InstanceRow;
  profile?: Profile;
  grant?: Grant;
  scopes?: string[];
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
  jti: string;
  /** Set for an opaque token: the claims to store with it. */
  opaqueClaims?: Record<string, unknown>;
}
