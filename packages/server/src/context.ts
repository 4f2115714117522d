import type { HotReads } from './storage/hot-reads.js';
import type { Kysely } from 'kysely';
import type { PolicyStore } from './accounts/policy-store.js';
import type { RateLimiter } from './accounts/rate-limiter.js';
import type { Logger } from 'pino';
import type { AuditSinkDispatcher } from './audit/sinks/dispatcher.js';
import type { AuditWriter } from './audit/writer.js';
import type { Clock } from './clock.js';
import type { TesseraConfig } from './config.js';
import type { KeyMaterial } from './crypto/master-key.js';
import type { NotificationService } from './notify/service.js';
import type { ServerMetrics } from './metrics/server-metrics.js';
import type { RemoteKeys } from './oauth/remote-keys.js';
import type { KeyRing } from './oauth/signing-keys.js';
import type { VerifiedTokenCache } from './oauth/verified-tokens.js';
import type { Database } from './storage/tables.js';
import type { TokenClientCache } from './storage/token-clients.js';
import type { FailureThrottle } from './throttle.js';
import type { LastUsedTracker } from './usage/last-used.js';

/** The long-lived parts of a running server that route handlers use. */
export interface ServerContext {
  config: TesseraConfig;
  db: Kysely<Database>;
  /** The reads of every token and introspection request, through statements prepared once. */
  hotReads: HotReads;
  clock: Clock;
  logger: Logger;
  keyMaterial: KeyMaterial;
  keyRing: KeyRing;
  /** Access tokens whose signature was verified, so that a token presented again is not verified again. */
  verifiedTokens: VerifiedTokenCache;
  audit: AuditWriter;
  /** Delivers the audit log to audit sinks; routes wake it after changing a sink. */
  auditSinks: AuditSinkDispatcher;
  lastUsed: LastUsedTracker;
  policies: PolicyStore;
  /** Accounts, credentials and grants that token requests read, kept while the database's counter stays the same. */
  tokenClients: TokenClientCache;
  /** Token requests per account, for accounts with a rate limit. */
  rateLimiter: RateLimiter;
  /** This node's Prometheus metrics, served at GET /metrics. */
  metrics: ServerMetrics;
  /** Expiry and dormancy notifications and their scheduler. */
  notifications: NotificationService;
  /** Cached key sets of clients (JWKS URLs) and of outside issuers. */
  remoteKeys: RemoteKeys;
  throttles: {
    /** Failed client authentications per client id and source address. */
    clientAndAddress: FailureThrottle;
    /** Failed client authentications per source address, whatever the client id. */
    address: FailureThrottle;
    /** Failed admin sign-ins per username and source address. */
    signIn: FailureThrottle;
  };
}
