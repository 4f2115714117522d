/**
 * Limits that the server enforces and guard must respect, kept here so the two cannot drift.
 */

/** Maximum access-token lifetime any setting allows; no valid token is older than this. */
export const MAX_TOKEN_LIFETIME_SECONDS = 86_400;

/** Maximum number of events the usage endpoint accepts in one request. */
export const MAX_USAGE_EVENTS_PER_REQUEST = 500;

/** Field lengths of a usage event; the server rejects a whole report for one event past them. */
export const USAGE_FIELD_LIMITS = { method: 16, route: 500, resourceType: 64, resourceId: 255 } as const;
