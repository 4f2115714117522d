import { DAY_MS } from '../clock.js';
import type { CredentialRow, ServiceAccountRow } from '../storage/tables.js';

/**
 * The events Tessera sends to an account's contacts. The payload is the webhook body and the
 * source of the email text; docs/notifications.md describes every field.
 */
export type NotificationEventType = 'credential.expiring' | 'credential.expired' | 'account.dormant_warning' | 'account.dormant';

export interface NotificationPayload {
  /** Event id: the same on every attempt of one delivery, so receivers can drop repeats. */
  id: string;
  type: NotificationEventType;
  createdAt: string;
  account: { id: string; name: string; clientId: string; owner: string; lastUsedAt: string | null; url: string };
  /** `type` tells a secret from a public key, which the client holds and so cannot be rotated here. */
  credential?: { id: string; type: CredentialRow['kind']; expiresAt: string; daysLeft: number; leadDays?: number };
  dormancy?: { afterDays: number; action: 'flag' | 'disable'; idleSince: string; dormantAt: string; daysLeft: number; dormantSince?: string };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Whole days from now until `at`, rounded up, so a credential expiring in 29.5 days reads as 30. */
export function daysUntil(at: number, now: number): number {
  return Math.max(0, Math.ceil((at - now) / DAY_MS));
}

/** The panel page of an account; the panel router serves it at /service-accounts/{id}. */
export function accountPageUrl(issuer: string, accountId: string): string {
  return `${issuer}/service-accounts/${encodeURIComponent(accountId)}`;
}

export function accountSummary(account: ServiceAccountRow, issuer: string): NotificationPayload['account'] {
  return {
    id: account.id,
    name: account.name,
    clientId: account.client_id,
    owner: account.owner,
    lastUsedAt: account.last_used_at === null ? null : iso(Number(account.last_used_at)),
    url: accountPageUrl(issuer, account.id),
  };
}

export function credentialEvent(
  id: string,
  type: 'credential.expiring' | 'credential.expired',
  account: ServiceAccountRow,
  credential: CredentialRow,
  leadDays: number | undefined,
  now: number,
  issuer: string,
): NotificationPayload {
  const expiresAt = Number(credential.expires_at);
  return {
    id,
    type,
    createdAt: iso(now),
    account: accountSummary(account, issuer),
    credential: { id: credential.id, type: credential.kind, expiresAt: iso(expiresAt), daysLeft: daysUntil(expiresAt, now), ...(leadDays === undefined ? {} : { leadDays }) },
  };
}
