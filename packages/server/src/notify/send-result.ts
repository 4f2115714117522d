/** Outcome of one attempt to deliver a notification. */
export type SendResult =
  | { ok: true; statusCode?: number }
  | {
      ok: false;
      /** Why it failed, for the delivery record; never a secret. */
      error: string;
      statusCode?: number;
      /** True when retrying cannot help, such as an invalid URL or no SMTP server configured. */
      permanent?: boolean;
    };

/** Names the cause of a network error, such as ECONNREFUSED, without its full message. */
export function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  const code = cause?.code ?? (error as { code?: string } | null)?.code;
  if (code) return code;
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  return error instanceof Error ? error.message : String(error);
}
