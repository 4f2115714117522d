import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { newId } from '../crypto/secrets.js';
import { insertDeliveries } from '../storage/notification-deliveries.js';
import type { Database, NotificationDeliveryRow, ServiceAccountRow } from '../storage/tables.js';
import { parseContacts } from './contacts.js';
import type { NotificationPayload } from './events.js';

export interface NotificationRequest {
  account: ServiceAccountRow;
  credentialId: string | null;
  /** Identifies the message apart from its contact, such as `credential.expiring:<id>:30`. */
  key: string;
  /** Builds the event for one delivery, given the delivery's id, which doubles as the event id. */
  build: (eventId: string) => NotificationPayload;
}

/**
 * Adds one pending delivery per contact of the account, unless that contact already has one
 * for the same key. Returns how many were added.
 */
export function enqueueNotification(db: Kysely<Database>, request: NotificationRequest, now: number): Promise<number> {
  const rows: NotificationDeliveryRow[] = parseContacts(request.account.contacts).map((contact) => {
    const id = newId();
    const payload = request.build(id);
    return {
      id,
      // The target is hashed so that a long URL cannot exceed the index's entry size on PostgreSQL.
      dedupe_key: `${request.key}:${contact.channel}:${createHash('sha256').update(contact.target).digest('base64url')}`,
      event_type: payload.type,
      account_id: request.account.id,
      credential_id: request.credentialId,
      channel: contact.channel,
      target: contact.target,
      payload: JSON.stringify(payload),
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      last_error: null,
      last_status_code: null,
      created_at: now,
      updated_at: now,
      delivered_at: null,
    };
  });
  return insertDeliveries(db, rows);
}
