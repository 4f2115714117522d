import { signatureHeader } from './signature.js';
import { type SendResult, describeNetworkError } from './send-result.js';

/** How long one webhook attempt may take, connection and response together. */
export const WEBHOOK_TIMEOUT_MS = 5_000;
/** Bytes of the response body read at most; the rest is discarded, because only the status counts. */
const RESPONSE_READ_LIMIT = 4096;

export interface WebhookRequest {
  url: string;
  body: string;
  eventType: string;
  deliveryId: string;
  secret: string;
  /** Signing time in epoch milliseconds, from the server clock. */
  now: number;
}

/** Parses a webhook URL, accepting only http and https. */
function webhookUrl(raw: string): URL | undefined {
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Reads at most RESPONSE_READ_LIMIT bytes so that the connection can be reused, then drops the rest. */
async function drainResponse(response: Response): Promise<void> {
  const reader = response.body?.getReader();
  if (!reader) return;

  let read = 0;
  try {
    while (read < RESPONSE_READ_LIMIT) {
      const chunk = await reader.read();
      if (chunk.done) return;
      read += chunk.value.byteLength;
    }
    await reader.cancel();
  } catch {
    // The status is already known; a broken body changes nothing.
  }
}

/**
 * POSTs one signed event. Redirects are not followed (a 3xx counts as a failure), so a
 * receiver cannot bounce the request to another host.
 * NOTE: any http(s) URL an admin stores as a contact is called, internal addresses included;
 * the server trusts admins to name their own receivers.
 */
export async function sendWebhook(request: WebhookRequest): Promise<SendResult> {
  const url = webhookUrl(request.url);
  if (!url) return { ok: false, error: 'the webhook URL is not a valid http or https URL; correct the account contact', permanent: true };

  const timestamp = Math.floor(request.now / 1000);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Tessera-Webhook/1',
        'tessera-event': request.eventType,
        'tessera-delivery': request.deliveryId,
        'tessera-signature': signatureHeader(request.secret, request.body, timestamp),
      },
      body: request.body,
    });
  } catch (error) {
    return { ok: false, error: `the request failed: ${describeNetworkError(error)}` };
  }

  await drainResponse(response);
  if (response.status >= 200 && response.status < 300) return { ok: true, statusCode: response.status };
  if (response.status >= 300 && response.status < 400) {
    return { ok: false, statusCode: response.status, error: `the receiver answered ${response.status} with a redirect, which is not followed; configure the final URL` };
  }
  return { ok: false, statusCode: response.status, error: `the receiver answered ${response.status}` };
}
