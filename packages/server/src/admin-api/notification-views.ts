import type { NotificationDeliveryRow } from '../storage/tables.js';
import { timestamp } from './views.js';

/** Hides the user and password part of a webhook URL, which can hold a credential of the receiver. */
export function displayTarget(row: Pick<NotificationDeliveryRow, 'channel' | 'target'>): string {
  if (row.channel !== 'webhook') return row.target;
  try {
    const url = new URL(row.target);
    if (!url.username && !url.password) return row.target;
    url.username = '***';
    url.password = '';
    return url.href;
  } catch {
    return row.target;
  }
}

/** Builds the API view of a delivery; `accountName` is present where the query joined the account. */
export function deliveryView(row: NotificationDeliveryRow & { account_name?: string | null }) {
  return {
    id: row.id,
    eventType: row.event_type,
    accountId: row.account_id,
    ...(row.account_name === undefined ? {} : { accountName: row.account_name }),
    credentialId: row.credential_id,
    channel: row.channel,
    target: displayTarget(row),
    status: row.status,
    attempts: Number(row.attempts),
    nextAttemptAt: row.status === 'pending' ? timestamp(row.next_attempt_at) : null,
    lastError: row.last_error,
    lastStatusCode: row.last_status_code,
    createdAt: timestamp(row.created_at),
    updatedAt: timestamp(row.updated_at),
    deliveredAt: timestamp(row.delivered_at),
  };
}
