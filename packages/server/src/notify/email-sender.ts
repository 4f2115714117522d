import nodemailer, { type Transporter } from 'nodemailer';
import type { NotificationPayload } from './events.js';
import { emailMessage } from './email-text.js';
import { type SendResult, describeNetworkError } from './send-result.js';

export const SMTP_NOT_CONFIGURED = 'SMTP is not configured; set TESSERA_SMTP_URL';
const SMTP_TIMEOUT_MS = 10_000;

/** Sends notification emails over SMTP with nodemailer, or records why it cannot. */
export class EmailSender {
  private readonly transport: Transporter | undefined;
  private readonly password: string | undefined;

  constructor(
    smtpUrl: string | undefined,
    private readonly from: string | undefined,
  ) {
    if (!smtpUrl) return;

    const url = new URL(smtpUrl);
    this.password = url.password ? decodeURIComponent(url.password) : undefined;
    this.transport = nodemailer.createTransport({
      host: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      secure: url.protocol === 'smtps:',
      auth: url.username ? { user: decodeURIComponent(url.username), pass: this.password ?? '' } : undefined,
      connectionTimeout: SMTP_TIMEOUT_MS,
      greetingTimeout: SMTP_TIMEOUT_MS,
      socketTimeout: SMTP_TIMEOUT_MS,
    });
  }

  get configured(): boolean {
    return this.transport !== undefined;
  }

  async send(to: string, payload: NotificationPayload): Promise<SendResult> {
    if (!this.transport) return { ok: false, error: SMTP_NOT_CONFIGURED, permanent: true };

    const { subject, text } = emailMessage(payload);
    try {
      await this.transport.sendMail({ from: this.from, to, subject, text, headers: { 'X-Tessera-Event': payload.type, 'X-Tessera-Event-Id': payload.id } });
      return { ok: true };
    } catch (error) {
      const responseCode = (error as { responseCode?: number }).responseCode;
      const detail = responseCode ? `the mail server answered ${responseCode}` : `sending failed: ${describeNetworkError(error)}`;
      return { ok: false, error: this.redact(detail) };
    }
  }

  /** Removes the SMTP password from a message, should a library ever echo it. */
  private redact(message: string): string {
    return this.password ? message.split(this.password).join('***') : message;
  }

  close(): void {
    this.transport?.close();
  }
}
