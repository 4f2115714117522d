import { parseAllowlist } from './accounts/ip-allowlist.js';
import { type OidcConfig, OidcConfigError, parseOidcConfig } from './oidc/config.js';

/**
 * Server configuration from command-line flags and TESSERA_* environment variables.
 * Flags win over the environment, and the environment wins over the defaults.
 */

export interface TesseraConfig {
  /** A SQLite file path or a postgres:// URL. */
  databaseUrl: string;
  host: string;
  port: number;
  /** The public URL of this server, without a trailing slash; the `iss` of every token. */
  issuer: string;
  /** Base64 or hex encoding of 32 random bytes; when absent a key file beside the database is used. */
  masterKey?: string;
  /** Password of the bootstrap admin created on an empty database. */
  adminPassword?: string;
  /** Default access-token lifetime in seconds, unless an instance sets its own. */
  accessTokenLifetimeSeconds: number;
  /** How long a new signing key is published in the JWKS before it signs tokens, in seconds. */
  keyActivationDelaySeconds: number;
  /** How often last-used times are written to the database, in milliseconds. */
  lastUsedFlushIntervalMs: number;
  logLevel: string;
  /** Folder for the master key file; by default the SQLite file's folder, or ./data with PostgreSQL. */
  dataDirectory?: string;
  /** PostgreSQL connections per node. */
  databasePoolSize: number;
  /** How long to wait for a PostgreSQL connection before a request fails with 503, in milliseconds. */
  databaseConnectTimeoutMs: number;
  /** Maximum time a PostgreSQL statement may run before it is cancelled, in milliseconds. */
  databaseStatementTimeoutMs: number;
  /** CIDR blocks of reverse proxies whose client-address header is believed; empty trusts none. */
  trustedProxies: string[];
  /** Lower-case name of the header in which trusted proxies pass the client's address. */
  clientIpHeader: string;
  /** How often the notification scheduler looks for expiring credentials, dormant accounts and due deliveries, in milliseconds. */
  notificationIntervalMs: number;
  /** Key that signs webhook deliveries; when absent one is derived from the master key. */
  webhookSigningSecret?: string;
  /** smtp:// or smtps:// URL of the mail server for email notifications, with optional user and password. */
  smtpUrl?: string;
  /** Sender address of email notifications; required with smtpUrl. */
  smtpFrom?: string;
  /** How often each node looks for audit events to deliver to audit sinks, in milliseconds. */
  auditSinkPollMs: number;
  /** Admin sign-in through an OpenID Connect provider; absent when TESSERA_OIDC_* is not set. */
  oidc?: OidcConfig;
  /** Bearer token that GET /metrics requires from every caller. When absent, only loopback callers are served. */
  metricsToken?: string;
  /**
   * Lets JWKS URLs and federation issuers use plain http on a loopback address
   * (127.0.0.1, localhost, [::1]). For tests and local trials only; https is required otherwise.
   */
  allowInsecureJwksUrls: boolean;
}

export const DEFAULTS = {
  databaseUrl: './data/tessera.db',
  host: '127.0.0.1',
  port: 8080,
  accessTokenLifetimeSeconds: 3600,
  keyActivationDelaySeconds: 600,
  lastUsedFlushIntervalMs: 5000,
  logLevel: 'info',
  databasePoolSize: 10,
  databaseConnectTimeoutMs: 5000,
  databaseStatementTimeoutMs: 10_000,
  clientIpHeader: 'x-forwarded-for',
  notificationIntervalMs: 60_000,
  auditSinkPollMs: 1000,
} as const;

export type ConfigOverrides = Partial<TesseraConfig>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parseBoolean(name: string, raw: string | boolean | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (typeof raw === 'boolean') return raw;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false; got "${raw}".`);
}

function parseInteger(name: string, raw: string | number | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;

  const value = typeof raw === 'number' ? raw : /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}; got "${raw}".`);
  }
  return value;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function normaliseIssuer(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`TESSERA_ISSUER (or --issuer) must be an absolute http or https URL such as https://tessera.example.com; got "${raw}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`TESSERA_ISSUER must use http or https; got "${raw}".`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError('TESSERA_ISSUER must not contain credentials, a query or a fragment; use the plain public URL, such as https://tessera.example.com.');
  }
  return url.href.replace(/\/+$/, '');
}

/** Builds the configuration from flag values (already parsed) over the given environment. */
export function loadConfig(flags: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): TesseraConfig {
  const host = flags.host ?? env.TESSERA_HOST ?? DEFAULTS.host;
  const port = parseInteger('TESSERA_PORT', flags.port ?? env.TESSERA_PORT, DEFAULTS.port, 0, 65535);
  const issuerSource = flags.issuer ?? env.TESSERA_ISSUER ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    databaseUrl: flags.databaseUrl ?? env.TESSERA_DATABASE_URL ?? DEFAULTS.databaseUrl,
    host,
    port,
    issuer: normaliseIssuer(issuerSource),
    masterKey: flags.masterKey ?? (env.TESSERA_MASTER_KEY || undefined),
    adminPassword: flags.adminPassword ?? (env.TESSERA_ADMIN_PASSWORD || undefined),
    accessTokenLifetimeSeconds: parseInteger(
      'TESSERA_ACCESS_TOKEN_LIFETIME',
      flags.accessTokenLifetimeSeconds ?? env.TESSERA_ACCESS_TOKEN_LIFETIME,
      DEFAULTS.accessTokenLifetimeSeconds,
      60,
      86400,
    ),
    keyActivationDelaySeconds: parseInteger(
      'TESSERA_KEY_ACTIVATION_DELAY',
      flags.keyActivationDelaySeconds ?? env.TESSERA_KEY_ACTIVATION_DELAY,
      DEFAULTS.keyActivationDelaySeconds,
      0,
      86400,
    ),
    lastUsedFlushIntervalMs: parseInteger(
      'TESSERA_LAST_USED_FLUSH_MS',
      flags.lastUsedFlushIntervalMs ?? env.TESSERA_LAST_USED_FLUSH_MS,
      DEFAULTS.lastUsedFlushIntervalMs,
      100,
      3_600_000,
    ),
    logLevel: parseLogLevel(flags.logLevel ?? env.TESSERA_LOG_LEVEL ?? DEFAULTS.logLevel),
    dataDirectory: flags.dataDirectory ?? (env.TESSERA_DATA_DIR || undefined),
    databasePoolSize: parseInteger('TESSERA_DB_POOL_SIZE', flags.databasePoolSize ?? env.TESSERA_DB_POOL_SIZE, DEFAULTS.databasePoolSize, 1, 500),
    databaseConnectTimeoutMs: parseInteger(
      'TESSERA_DB_CONNECT_TIMEOUT_MS',
      flags.databaseConnectTimeoutMs ?? env.TESSERA_DB_CONNECT_TIMEOUT_MS,
      DEFAULTS.databaseConnectTimeoutMs,
      100,
      120_000,
    ),
    databaseStatementTimeoutMs: parseInteger(
      'TESSERA_DB_STATEMENT_TIMEOUT_MS',
      flags.databaseStatementTimeoutMs ?? env.TESSERA_DB_STATEMENT_TIMEOUT_MS,
      DEFAULTS.databaseStatementTimeoutMs,
      100,
      600_000,
    ),
    trustedProxies: parseTrustedProxies(flags.trustedProxies ?? env.TESSERA_TRUSTED_PROXIES),
    clientIpHeader: parseHeaderName(flags.clientIpHeader ?? env.TESSERA_CLIENT_IP_HEADER ?? DEFAULTS.clientIpHeader),
    notificationIntervalMs: parseInteger(
      'TESSERA_NOTIFICATION_INTERVAL_MS',
      flags.notificationIntervalMs ?? env.TESSERA_NOTIFICATION_INTERVAL_MS,
      DEFAULTS.notificationIntervalMs,
      1000,
      86_400_000,
    ),
    webhookSigningSecret: parseSigningSecret(flags.webhookSigningSecret ?? (env.TESSERA_WEBHOOK_SIGNING_SECRET || undefined)),
    ...parseSmtp(flags.smtpUrl ?? (env.TESSERA_SMTP_URL || undefined), flags.smtpFrom ?? (env.TESSERA_SMTP_FROM || undefined)),
    auditSinkPollMs: parseInteger('TESSERA_AUDIT_SINK_POLL_MS', flags.auditSinkPollMs ?? env.TESSERA_AUDIT_SINK_POLL_MS, DEFAULTS.auditSinkPollMs, 50, 3_600_000),
    oidc: flags.oidc ?? parseOidc(env),
    metricsToken: parseMetricsToken(flags.metricsToken ?? (env.TESSERA_METRICS_TOKEN || undefined)),
    allowInsecureJwksUrls: parseBoolean('TESSERA_ALLOW_INSECURE_JWKS_URLS', flags.allowInsecureJwksUrls ?? env.TESSERA_ALLOW_INSECURE_JWKS_URLS, false),
  };
}

function parseOidc(env: NodeJS.ProcessEnv): OidcConfig | undefined {
  try {
    return parseOidcConfig(env);
  } catch (error) {
    if (error instanceof OidcConfigError) throw new ConfigError(error.message);
    throw error;
  }
}

function parseTrustedProxies(raw: string | string[] | undefined): string[] {
  if (raw === undefined || raw === '') return [];
  const entries = Array.isArray(raw) ? raw : raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  try {
    return parseAllowlist(entries, 'TESSERA_TRUSTED_PROXIES');
  } catch (error) {
    throw new ConfigError(`${(error as Error).message} Separate several blocks with commas.`);
  }
}

function parseHeaderName(raw: string): string {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(raw)) {
    throw new ConfigError(`TESSERA_CLIENT_IP_HEADER must be an HTTP header name such as X-Forwarded-For or X-Real-IP; got "${raw.slice(0, 80)}".`);
  }
  return raw.toLowerCase();
}

function parseMetricsToken(raw: string | undefined): string | undefined {
  if (raw !== undefined && (raw.length < 16 || !/^[\x21-\x7e]+$/.test(raw))) {
    throw new ConfigError(`TESSERA_METRICS_TOKEN must be at least 16 printable ASCII characters without spaces; got ${raw.length} characters. Generate one with: openssl rand -hex 32`);
  }
  return raw;
}

function parseSigningSecret(raw: string | undefined): string | undefined {
  if (raw !== undefined && raw.length < 32) {
    throw new ConfigError(`TESSERA_WEBHOOK_SIGNING_SECRET must be at least 32 characters long; got ${raw.length}. Generate one with: openssl rand -base64 32`);
  }
  return raw;
}

/** Checks the SMTP settings without echoing the URL, which may hold a password. */
function parseSmtp(url: string | undefined, from: string | undefined): { smtpUrl?: string; smtpFrom?: string } {
  if (url === undefined) return { smtpFrom: from };

  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') || !parsed.hostname) {
    throw new ConfigError('TESSERA_SMTP_URL must be an smtp:// or smtps:// URL with a host, such as smtps://user:password@mail.example.com:465.');
  }
  if (!from) throw new ConfigError('TESSERA_SMTP_FROM must be set with TESSERA_SMTP_URL, to the sender address of notifications, such as tessera@example.com.');
  return { smtpUrl: url, smtpFrom: from };
}

function parseLogLevel(raw: string): string {
  if (!LOG_LEVELS.includes(raw)) throw new ConfigError(`TESSERA_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got "${raw}".`);
  return raw;
}
