import { randomBytes } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import pino, { type Logger } from 'pino';
import { PolicyStore } from './accounts/policy-store.js';
import { RateLimiter } from './accounts/rate-limiter.js';
import { ensureTesseraInstance } from './admin-api/tessera-instance.js';
import { buildApp } from './app.js';
import { pruneAuditLog } from './audit/retention.js';
import { AuditSinkDispatcher } from './audit/sinks/dispatcher.js';
import { AuditWriter } from './audit/writer.js';
import { type Clock, DAY_MS, systemClock } from './clock.js';
import type { TesseraConfig } from './config.js';
import type { ServerContext } from './context.js';
import { KeyMaterial, loadMasterKey } from './crypto/master-key.js';
import { ServerMetrics } from './metrics/server-metrics.js';
import { newId } from './crypto/secrets.js';
import { NotificationService } from './notify/service.js';
import { REMOTE_KEY_DEFAULTS, RemoteKeys } from './oauth/remote-keys.js';
import { KeyRing } from './oauth/signing-keys.js';
import { countAdmins, insertAdmin } from './storage/admins.js';
import { LocalChangeFeed, PostgresChangeFeed } from './storage/change-feed.js';
import { openDatabase } from './storage/database.js';
import { migrateToLatest } from './storage/migrations.js';
import { pruneRevokedTokens } from './storage/revoked-tokens.js';
import { pruneRevocations } from './storage/revocations.js';
import { pruneOpaqueTokens } from './storage/opaque-tokens.js';
import { pruneDpopProofs } from './storage/dpop-proofs.js';
import { pruneIdempotencyKeys } from './storage/idempotency-keys.js';
import { pruneUsedAssertions } from './storage/used-assertions.js';
import type { Database } from './storage/tables.js';
import { sqliteRowStore } from './audit/row-store.js';
import { VerifiedTokenCache } from './oauth/verified-tokens.js';
import { TokenClientCache } from './storage/token-clients.js';
import { FailureThrottle } from './throttle.js';
import { LastUsedTracker } from './usage/last-used.js';

export interface TesseraOptions {
  config: TesseraConfig;
  clock?: Clock;
  logger?: Logger;
}

export interface Tessera {
  app: FastifyInstance;
  context: ServerContext;
  /** Starts listening on the configured host and port and returns the bound address. */
  listen(): Promise<string>;
  /** Stops accepting requests, commits pending audit events and last-used times, closes the database. */
  close(): Promise<void>;
}

// The value of Algorithm.Argon2id, which is an ambient const enum that isolated modules cannot read.
const ARGON2ID = 2;
const MAINTENANCE_INTERVAL_MS = 60 * 60 * 1000;

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'tessera' } });
}

async function bootstrapAdmin(db: Kysely<Database>, audit: AuditWriter, config: TesseraConfig, clock: Clock, logger: Logger): Promise<void> {
  if ((await countAdmins(db)) > 0) return;

  const password = config.adminPassword ?? randomBytes(18).toString('base64url');
  const passwordHash = await hash(password, { algorithm: ARGON2ID });
  const id = newId();
  // Nodes that start together on an empty PostgreSQL database race here; the audit
  // transaction's lock lets one of them create the admin and the others see it.
  const created = await audit.transaction(async (trx) => {
    if ((await countAdmins(trx)) > 0) return false;
    await insertAdmin(trx, { id, username: 'admin', password_hash: passwordHash, role: 'admin', created_at: clock.now(), auth_source: 'local', external_subject: null, updated_at: null });
    await audit.writeInTransaction(trx, [{ actor: { type: 'system' }, action: 'admin.created', target: { type: 'admin', id }, outcome: 'success', details: { username: 'admin', role: 'admin' } }]);
    return true;
  });
  if (!created) return;

  if (config.adminPassword) {
    logger.info('created the admin "admin" with the password from TESSERA_ADMIN_PASSWORD');
  } else {
    // The one place a password reaches the log, by design: an empty database has no other way
    // to hand the first admin its password. It is printed once and never stored in clear.
    logger.warn(`created the admin "admin" with the generated password ${password} ; it is shown only now, so store it or set TESSERA_ADMIN_PASSWORD before the first start`);
  }
}

/** Logs each development default once at start-up, so that none reaches production unnoticed. */
function warnAboutDevelopmentDefaults(config: TesseraConfig, masterKeySource: string, masterKeyPath: string | undefined, dialect: string, logger: Logger): void {
  if (masterKeySource !== 'environment') {
    logger.warn({ path: masterKeyPath }, `${masterKeySource === 'new-file' ? 'generated a master key file' : 'using the master key file'}; set TESSERA_MASTER_KEY from a secret store in production and keep the file out of backups of the database`);
  }
  if (config.allowInsecureJwksUrls) {
    logger.warn('TESSERA_ALLOW_INSECURE_JWKS_URLS is on: JWKS URLs and federation issuers may use plain http on loopback addresses; turn it off outside tests');
  }
  if (config.issuer.startsWith('http:')) {
    logger.warn({ issuer: config.issuer }, 'the issuer uses plain http; set TESSERA_ISSUER to the https URL clients reach in production');
  }
  if (dialect === 'sqlite') {
    logger.info({ database: config.databaseUrl }, 'using the embedded SQLite database, which suits one node');
  }
}

/** Opens the database, applies migrations, loads keys and builds the application. */
export async function createTessera(options: TesseraOptions): Promise<Tessera> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);

  const database = openDatabase(config.databaseUrl, {
    dataDirectory: config.dataDirectory,
    poolSize: config.databasePoolSize,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    onIdleError: (error) => logger.warn({ err: error }, 'an idle database connection failed; the pool opens a new one when needed'),
  });
  try {
    const applied = await migrateToLatest(database.db);
    if (applied.length > 0) logger.info({ migrations: applied }, 'applied database migrations');

    const masterKey = loadMasterKey(config.masterKey, database.dataDirectory);
    const keyMaterial = new KeyMaterial(masterKey.key);
    const changes = database.dialect === 'postgres' ? new PostgresChangeFeed(config.databaseUrl, database.db, logger) : new LocalChangeFeed();
    if (changes instanceof PostgresChangeFeed) await changes.start();
    const keyRing = new KeyRing(database.db, database.dialect, keyMaterial, clock, logger, changes);
    await keyRing.load();
    keyRing.follow();

    const audit = new AuditWriter(database.db, clock, logger, keyMaterial.auditChainKey, database.dialect, database.sqlite && sqliteRowStore(database.sqlite), database.pool, database.sqlite);
    await bootstrapAdmin(database.db, audit, config, clock, logger);
    warnAboutDevelopmentDefaults(config, masterKey.source, masterKey.path, database.dialect, logger);

    const auditSinks = new AuditSinkDispatcher(database.db, clock, logger, keyMaterial, config.auditSinkPollMs, () => audit.firstUnsyncedSeq);
    audit.onCommit = () => auditSinks.wake();

    const lastUsed = new LastUsedTracker(database.db, logger, config.lastUsedFlushIntervalMs);
    const policies = new PolicyStore(database.db, clock, config.accessTokenLifetimeSeconds);
    const tokenClients = new TokenClientCache(database.db, () => database.hotReads.tokenClientsGeneration());
    const verifiedTokens = new VerifiedTokenCache();
    const metrics = new ServerMetrics({ db: database.db, clock, audit, lastUsed, policies, keyRing, tokenClients, verifiedTokens }, logger, database.pool);
    audit.observer = metrics.auditObserver;

    const base: Omit<ServerContext, 'notifications'> = {
      config,
      db: database.db,
      hotReads: database.hotReads,
      clock,
      logger,
      keyMaterial,
      keyRing,
      verifiedTokens,
      audit,
      auditSinks,
      lastUsed,
      policies,
      tokenClients,
      metrics,
      rateLimiter: new RateLimiter(clock),
      remoteKeys: new RemoteKeys(clock, logger, { ...REMOTE_KEY_DEFAULTS, allowInsecure: config.allowInsecureJwksUrls }),
      throttles: {
        clientAndAddress: new FailureThrottle(clock, 10, 60_000),
        address: new FailureThrottle(clock, 100, 60_000),
        signIn: new FailureThrottle(clock, 5, 15 * 60_000),
      },
    };
    // The service reads the context it belongs to, so it is added to the same object.
    const context: ServerContext = Object.assign(base, { notifications: new NotificationService(base) });
    await ensureTesseraInstance(context);
    const app = await buildApp(context);

    const maintenance = setInterval(() => {
      pruneRevokedTokens(database.db, clock.now()).catch((error) => logger.warn({ err: error }, 'pruning expired token revocations failed; retrying in an hour'));
      pruneOpaqueTokens(database.db, clock.now()).catch((error) => logger.warn({ err: error }, 'pruning expired opaque tokens failed; retrying in an hour'));
      pruneRevocations(database.db, clock.now()).catch((error) => logger.warn({ err: error }, 'pruning the revocation feed failed; retrying in an hour'));
      pruneDpopProofs(database.db, clock.now()).catch((error) => logger.warn({ err: error }, 'pruning seen DPoP proofs failed; retrying in an hour'));
      pruneIdempotencyKeys(database.db, clock.now()).catch((error) => logger.warn({ err: error }, 'pruning expired idempotency keys failed; retrying in an hour'));
      pruneUsedAssertions(database.db, clock.now()).catch((error) => logger.warn({ err: error }, 'pruning used assertion ids failed; retrying in an hour'));
    }, MAINTENANCE_INTERVAL_MS);
    maintenance.unref();
    context.notifications.start();

    // Checked hourly but pruned at most daily, so that nodes restarted more often than daily
    // still prune. Nodes take turns through the audit chain's lock and see each other's checkpoints.
    const auditPruning = setInterval(() => {
      pruneAuditLog(context, { minIntervalMs: DAY_MS }).catch((error) => logger.warn({ err: error }, 'pruning the audit log failed; retrying in an hour'));
    }, MAINTENANCE_INTERVAL_MS);
    auditPruning.unref();
    auditSinks.start();

    return {
      app,
      context,
      async listen() {
        const address = await app.listen({ host: config.host, port: config.port });
        logger.info({ address, issuer: config.issuer }, 'Tessera is listening');
        return address;
      },
      async close() {
        clearInterval(maintenance);
        await context.notifications.stop();
        clearInterval(auditPruning);
        keyRing.stop();
        await app.close();
        await changes.close();
        await audit.close();
        await auditSinks.close();
        await context.lastUsed.close();
        await database.close();
        logger.info('Tessera stopped');
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
