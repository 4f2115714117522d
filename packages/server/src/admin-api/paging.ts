import { RequestError } from '../accounts/errors.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_PAGE_SIZE;

  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new RequestError('validation_failed', `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}; got "${raw}".`, 'limit');
  }
  return limit;
}

/** Cursors are opaque to clients: base64url JSON of the last item's sort key. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T>(raw: string | undefined, isValid: (value: unknown) => value is T): T | undefined {
  if (raw === undefined) return undefined;

  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!isValid(value)) {
    throw new RequestError('invalid_cursor', 'cursor is not one this server returned; pass nextCursor from the previous page unchanged, or leave it out to start again.', 'cursor');
  }
  return value;
}
