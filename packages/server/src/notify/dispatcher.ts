import type { ServerContext } from '../context.js';
import { claimDelivery, dueDeliveries, recordAttempt } from '../storage/notification-deliveries.js';
import type { NotificationDeliveryRow } from '../storage/tables.js';
import type { EmailSender } from './email-sender.js';
import type { NotificationPayload } from './events.js';
import { nextAttemptAt } from './retry-schedule.js';
import type { SendResult } from './send-result.js';
import { webhookSigningSecret } from './signature.js';
import { sendWebhook, WEBHOOK_TIMEOUT_MS } from './webhook-sender.js';

/** Deliveries sent per cycle at most, and how many at once. */
const BATCH_SIZE = 100;
const CONCURRENCY = 5;
/** How long a claimed delivery stays with the node that claimed it; longer than any one attempt. */
export const CLAIM_LEASE_MS = 5 * 60_000 + WEBHOOK_TIMEOUT_MS;

export async function attemptDelivery(ctx: ServerContext, email: EmailSender, row: NotificationDeliveryRow): Promise<NotificationDeliveryRow> {
  const payload = JSON.parse(row.payload) as NotificationPayload;
  let result: SendResult;
  try {
    result =
      row.channel === 'webhook'
        ? await sendWebhook({ url: row.target, body: row.payload, eventType: row.event_type, deliveryId: row.id, secret: webhookSigningSecret(ctx).secret, now: ctx.clock.now() })
        : await email.send(row.target, payload);
  } catch (error) {
    // Senders return failures rather than throw; this catches a bug, which must not stop the other deliveries.
    ctx.logger.error({ err: error, deliveryId: row.id }, 'sending a notification failed unexpectedly');
    result = { ok: false, error: 'an unexpected error occurred; the server log has the details' };
  }

  const now = ctx.clock.now();
  const attempts = Number(row.attempts) + 1;
  const retryAt = result.ok || result.permanent ? null : nextAttemptAt(attempts, now);
  let status: NotificationDeliveryRow['status'] = 'pending';
  if (result.ok) status = 'delivered';
  else if (retryAt === null) status = 'failed';
  const updated: NotificationDeliveryRow = {
    ...row,
    attempts,
    status,
    next_attempt_at: retryAt,
    last_error: result.ok ? null : result.error,
    last_status_code: result.statusCode ?? null,
    updated_at: now,
    delivered_at: result.ok ? now : null,
  };
  await recordAttempt(ctx.db, row.id, updated);

  const log = { deliveryId: row.id, accountId: row.account_id, event: row.event_type, channel: row.channel, attempts };
  if (updated.status === 'delivered') ctx.logger.info(log, 'delivered a notification');
  else if (updated.status === 'pending') ctx.logger.warn({ ...log, error: updated.last_error, retryAt: new Date(Number(retryAt)).toISOString() }, 'a notification attempt failed; retrying later');
  else await reportGivenUp(ctx, updated);
  return updated;
}

async function reportGivenUp(ctx: ServerContext, row: NotificationDeliveryRow): Promise<void> {
  ctx.logger.warn({ deliveryId: row.id, accountId: row.account_id, event: row.event_type, channel: row.channel, attempts: row.attempts, error: row.last_error }, 'gave up on a notification');
  await ctx.audit.write({
    actor: { type: 'system' },
    action: 'notification.failed',
    target: { type: 'notification_delivery', id: row.id },
    outcome: 'failure',
    reason: 'delivery_failed',
    details: { accountId: row.account_id, credentialId: row.credential_id, event: row.event_type, channel: row.channel, attempts: row.attempts, lastError: row.last_error, lastStatusCode: row.last_status_code },
  });
}

/** Sends every due delivery this node can claim, a few at a time. */
export async function dispatchDueDeliveries(ctx: ServerContext, email: EmailSender): Promise<number> {
  const due = await dueDeliveries(ctx.db, ctx.clock.now(), BATCH_SIZE);
  let sent = 0;
  for (let start = 0; start < due.length; start += CONCURRENCY) {
    await Promise.all(
      due.slice(start, start + CONCURRENCY).map(async (row) => {
        if (!(await claimDelivery(ctx.db, row, ctx.clock.now() + CLAIM_LEASE_MS))) return;
        await attemptDelivery(ctx, email, row);
        sent += 1;
      }),
    );
  }
  return sent;
}
