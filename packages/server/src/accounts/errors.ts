import { ADMIN_ERRORS, type AdminErrorCode } from '@tessera/shared';

/**
 * A caller mistake found by the domain rules or the admin API: a stable code, a message that
 * names the field and the fix, and the field path in the request body when there is one.
 */
export class RequestError extends Error {
  override name = 'RequestError';
  readonly status: number;

  constructor(
    readonly code: AdminErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.status = ADMIN_ERRORS[code].status;
  }
}
