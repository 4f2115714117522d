export * from './profiles.js';
export * from './claims.js';
export * from './errors.js';
export * from './limits.js';
export * from './dpop.js';
