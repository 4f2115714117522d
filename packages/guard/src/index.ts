export { type AuthenticateResult, Guard, type GuardStats, createGuard } from './guard.js';
export { type GuardOptions } from './options.js';
export { type Principal } from './principal.js';
export { type ResourceReference } from './authorize.js';
export { type UsageReport, MAX_EVENTS_PER_REQUEST } from './usage-reporter.js';
export { GUARD_ERRORS, type BearerErrorValue, type ChallengeScheme, GuardError, type GuardErrorCode, errorBody } from './errors.js';
export { type GuardLogger } from './logger.js';
export { type PresentedToken, extractAccessToken, extractBearerToken } from './bearer.js';
export { type RequestDetails } from './dpop.js';
