/**
 * The logger guard writes to: pino's call shape (details object first, then the message), so
 * a pino logger or a child of the product's logger fits as it is.
 */
export interface GuardLogger {
  debug(details: Record<string, unknown>, message: string): void;
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

const ignore = (): void => {};

export const silentLogger: GuardLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
