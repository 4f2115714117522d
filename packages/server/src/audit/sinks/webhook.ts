import { createHmac } from 'node:crypto';
import type { SinkEvent } from './event-payload.js';

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Builds the Tessera-Signature header, `t=<unix seconds>,v1=<hex HMAC-SHA-256>`, over
 * `<t>.<body>` with the sink secret as key. The receiver recomputes it and rejects old
 * timestamps to stop replays.
 */
export function webhookSignature(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export interface WebhookBatch {
  sink: { id: string; name: string };
  events: SinkEvent[];
}

/** POSTs one batch; any 2xx counts as delivered, anything else (redirects included) as a failure to retry. */
export async function sendWebhook(url: string, secret: string, batch: WebhookBatch, nowMs: number, signal: AbortSignal): Promise<void> {
  const body = JSON.stringify(batch);
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const target = new URL(url);
  const where = `${target.origin}${target.pathname}`;

  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'tessera-audit-sink/1',
        'tessera-sink-id': batch.sink.id,
        'tessera-signature': webhookSignature(secret, Math.floor(nowMs / 1000), body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.any([signal, timeout]),
    });
  } catch (error) {
    if (signal.aborted) throw new Error(`sending to ${where} was abandoned because the server is stopping`);
    if (timeout.aborted) throw new Error(`POST to ${where} timed out after ${REQUEST_TIMEOUT_MS / 1000} s`);
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`POST to ${where} failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }

  // The receiver's body is not kept: it might echo anything, and only the status matters.
  await response.body?.cancel();
  if (response.status < 200 || response.status > 299) throw new Error(`POST to ${where} returned HTTP ${response.status}; only a 2xx status counts as delivered`);
}
