export { createTessera, createLogger, type Tessera, type TesseraOptions } from './server.js';
export { loadConfig, type TesseraConfig } from './config.js';
export { ManualClock, systemClock, type Clock } from './clock.js';
export { verifyAuditChain } from './audit/verify.js';
