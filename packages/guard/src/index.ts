export { type AuthenticateResult, Guard, type GuardStats, createGuard } from './guard.js';
export { type GuardOptions } from './options.js';
export { type Principal } from './principal.js';
export { type ResourceReference } from './authorize.js';
export { type UsageReport, MAX_EVENTS_PER_REQUEST } from './usage-reporter.js';
export { GUARD_ERRORS, type BearerErrorValue, GuardError, type GuardErrorCode, errorBody } from './errors.js';
export { type GuardLogger } from './logger.js';
export { extractBearerToken } from './bearer.js';
