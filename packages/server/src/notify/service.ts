import type { ServerContext } from '../context.js';
import { findDelivery, reopenFailedDelivery } from '../storage/notification-deliveries.js';
import type { NotificationDeliveryRow } from '../storage/tables.js';
import { CLAIM_LEASE_MS, attemptDelivery, dispatchDueDeliveries } from './dispatcher.js';
import { runDormancyJob } from './dormancy-job.js';
import { EmailSender } from './email-sender.js';
import { queueExpiryNotifications } from './expiry-job.js';

/**
 * Expiry notices, the dormant-account rule and delivery of what they queue. Every step keeps
 * its state in the database and claims work there, so any number of nodes may run the
 * scheduler at once.
 */
export class NotificationService {
  readonly email: EmailSender;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly ctx: Omit<ServerContext, 'notifications'>) {
    this.email = new EmailSender(ctx.config.smtpUrl, ctx.config.smtpFrom);
  }

  /** Returns the server context, which contains this service once the server has built it. */
  private get context(): ServerContext {
    return this.ctx as ServerContext;
  }

  /**
   * Runs one cycle now: queue expiry notices, apply the dormancy rule, then send what is due.
   * A failing step is logged and does not stop the steps after it.
   */
  async runCycle(): Promise<void> {
    const ctx = this.context;
    const now = ctx.clock.now();
    const steps: [string, () => Promise<unknown>][] = [
      ['expiry notices', () => queueExpiryNotifications(ctx, now)],
      ['dormant accounts', () => runDormancyJob(ctx, now)],
      ['delivery', () => dispatchDueDeliveries(ctx, this.email)],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (error) {
        ctx.logger.error({ err: error, step: name }, `the notification step "${name}" failed; retrying on the next cycle`);
      }
    }
  }

  /** Runs a cycle every `notificationIntervalMs`, skipping a tick while the previous cycle still runs. */
  start(): void {
    if (!this.email.configured) this.ctx.logger.info('SMTP is not configured, so email notifications are recorded as failed; set TESSERA_SMTP_URL and TESSERA_SMTP_FROM to send them');
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runCycle().finally(() => {
        this.running = undefined;
      });
    }, this.ctx.config.notificationIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a running cycle to end. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    this.email.close();
  }

  /**
   * Tries a failed delivery once more now and returns it as recorded after the attempt, or
   * undefined when it is not failed (any more). The attempt counts on top of earlier ones.
   */
  async retryNow(id: string): Promise<NotificationDeliveryRow | undefined> {
    const now = this.ctx.clock.now();
    if (!(await reopenFailedDelivery(this.ctx.db, id, now, now + CLAIM_LEASE_MS))) return undefined;

    const row = await findDelivery(this.ctx.db, id);
    if (!row) return undefined;
    return attemptDelivery(this.context, this.email, row);
  }
}

/** Runs one notification cycle of a server now; tests call it after moving the clock. */
export function runNotificationCycle(ctx: ServerContext): Promise<void> {
  return ctx.notifications.runCycle();
}
