import { Command, InvalidArgumentError } from 'commander';
import { CheckpointSigner } from '../audit/checkpoint-signing.js';
import { verifyAuditChain } from '../audit/verify.js';
import { ConfigError, type ConfigOverrides, DEFAULTS, loadConfig } from '../config.js';
import { KeyMaterial, MasterKeyError, loadMasterKey } from '../crypto/master-key.js';
import { registerCompletionCommand } from './completion.js';
import { registerAccountCommands } from './remote/accounts.js';
import { registerRemoteAuditCommands } from './remote/audit.js';
import { registerCredentialCommands } from './remote/credentials.js';
import { CliError } from './remote/errors.js';
import { registerInstanceCommands } from './remote/instances.js';
import { registerKeyCommands } from './remote/keys.js';
import { registerPolicyCommands } from './remote/policy.js';
import { registerApplyCommand } from './apply.js';

// The server, database drivers and migrations load only in the commands that use them, so
// that commands talking to a remote server start in a fraction of the time.

/**
 * Exit codes: 0 success, 1 the check failed (such as a broken audit chain), 2 bad configuration
 * or usage. Commands that talk to a server add 3, 4 and 5; see remote/errors.ts.
 */
const EXIT_CHECK_FAILED = 1;
const EXIT_USAGE = 2;

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new InvalidArgumentError('must be a whole number from 0 to 65535.');
  return parsed;
}

interface CommonFlags {
  databaseUrl?: string;
}

interface VerifyFlags extends CommonFlags {
  expectHead?: { seq: number; hash: string };
}

function head(value: string): { seq: number; hash: string } {
  const match = /^([0-9]{1,15}):([0-9a-f]{64})$/.exec(value);
  if (!match || Number(match[1]) < 1) throw new InvalidArgumentError('must be <seq>:<hash>, such as 1042:9f86d0…, with the 64 hex digits of the event hash.');
  return { seq: Number(match[1]), hash: match[2] };
}

interface ServeFlags extends CommonFlags {
  dataDir?: string;
  host?: string;
  port?: number;
  issuer?: string;
  logLevel?: string;
  trustedProxies?: string;
  clientIpHeader?: string;
  oidcIssuer?: string;
  oidcClientId?: string;
  oidcDisplayName?: string;
}

function overrides(flags: ServeFlags): ConfigOverrides {
  return {
    databaseUrl: flags.databaseUrl,
    dataDirectory: flags.dataDir,
    host: flags.host,
    port: flags.port,
    issuer: flags.issuer,
    logLevel: flags.logLevel,
    trustedProxies: flags.trustedProxies?.split(',').map((entry) => entry.trim()).filter(Boolean),
    clientIpHeader: flags.clientIpHeader,
  };
}

/**
 * Puts the OIDC flags over the TESSERA_OIDC_* variables, which config.ts reads together. The
 * client secret and the role map have no flag, so that they stay out of the process list.
 */
function oidcEnvironment(flags: ServeFlags, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    ...(flags.oidcIssuer !== undefined ? { TESSERA_OIDC_ISSUER: flags.oidcIssuer } : {}),
    ...(flags.oidcClientId !== undefined ? { TESSERA_OIDC_CLIENT_ID: flags.oidcClientId } : {}),
    ...(flags.oidcDisplayName !== undefined ? { TESSERA_OIDC_DISPLAY_NAME: flags.oidcDisplayName } : {}),
  };
}

const program = new Command('tessera')
  .description('Service accounts for self-hosted products: OAuth 2.0 client credentials, scoped access tokens and an audit log.')
  .showHelpAfterError()
  // Usage errors exit 2, like configuration errors; help and version still exit 0.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE));

program
  .command('serve')
  .description('Start the Tessera server.')
  .option('--database-url <url>', `SQLite file path or postgres:// URL (env TESSERA_DATABASE_URL, default ${DEFAULTS.databaseUrl})`)
  .option('--data-dir <path>', 'folder of the master key file (env TESSERA_DATA_DIR, default: the SQLite file\'s folder, or ./data with PostgreSQL)')
  .option('--host <host>', `address to listen on (env TESSERA_HOST, default ${DEFAULTS.host})`)
  .option('--port <port>', `TCP port to listen on (env TESSERA_PORT, default ${DEFAULTS.port})`, port)
  .option('--issuer <url>', 'public URL of this server, the iss of every token (env TESSERA_ISSUER, default http://<host>:<port>)')
  .option('--log-level <level>', `pino log level (env TESSERA_LOG_LEVEL, default ${DEFAULTS.logLevel})`)
  .option('--trusted-proxies <cidrs>', 'comma-separated CIDR blocks of reverse proxies whose client-address header is believed (env TESSERA_TRUSTED_PROXIES, default none)')
  .option('--client-ip-header <name>', `header in which trusted proxies pass the client address (env TESSERA_CLIENT_IP_HEADER, default ${DEFAULTS.clientIpHeader})`)
  .option('--oidc-issuer <url>', 'issuer URL of the OpenID Connect provider for admin sign-in (env TESSERA_OIDC_ISSUER, default: OIDC sign-in off)')
  .option('--oidc-client-id <id>', 'client id of Tessera at the OpenID Connect provider (env TESSERA_OIDC_CLIENT_ID)')
  .option('--oidc-display-name <name>', 'provider name on the sign-in button (env TESSERA_OIDC_DISPLAY_NAME, default SSO)')
  .action(async (flags: ServeFlags) => {
    const { createLogger, createTessera } = await import('../server.js');
    const config = loadConfig(overrides(flags), oidcEnvironment(flags, process.env));
    const logger = createLogger(config.logLevel);
    const tessera = await createTessera({ config, logger });
    try {
      await tessera.listen();
    } catch (error) {
      await tessera.close();
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE' || (error as NodeJS.ErrnoException).code === 'EACCES') {
        throw new ConfigError(`Cannot listen on ${config.host}:${config.port} (${(error as NodeJS.ErrnoException).code}); choose another port with --port or TESSERA_PORT.`);
      }
      throw error;
    }

    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping Tessera');
      tessera.close().then(
        () => process.exit(0),
        (error) => {
          logger.error({ err: error }, 'Tessera did not stop cleanly');
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });

program
  .command('migrate')
  .description('Apply pending database migrations and exit.')
  .option('--database-url <url>', `SQLite file path or postgres:// URL (env TESSERA_DATABASE_URL, default ${DEFAULTS.databaseUrl})`)
  .action(async (flags: CommonFlags) => {
    const [{ openDatabase }, { migrateToLatest }] = await Promise.all([import('../storage/database.js'), import('../storage/migrations.js')]);
    const config = loadConfig({ databaseUrl: flags.databaseUrl });
    const database = openDatabase(config.databaseUrl);
    try {
      const applied = await migrateToLatest(database.db);
      console.log(applied.length > 0 ? `Applied migrations: ${applied.join(', ')}` : 'The database is up to date; no migration was pending.');
    } finally {
      await database.close();
    }
  });

const audit = program.command('audit').description('Work with the audit log.');

audit
  .command('verify')
  .description('Recompute the audit hash chain from the first event, or from the newest signed checkpoint when old events were pruned, and report the first break. Exits 1 when the chain or a checkpoint is broken.')
  .option('--database-url <url>', `SQLite file path or postgres:// URL (env TESSERA_DATABASE_URL, default ${DEFAULTS.databaseUrl})`)
  .option('--expect-head <seq:hash>', 'an event recorded earlier (the head printed by a previous verify, or an event a sink received); fails when it is missing or changed, which detects deleted newest events', head)
  .action(async (flags: VerifyFlags) => {
    const { openDatabase } = await import('../storage/database.js');
    const config = loadConfig({ databaseUrl: flags.databaseUrl });
    const database = openDatabase(config.databaseUrl, { mustExist: true, dataDirectory: config.dataDirectory });
    try {
      const masterKey = loadMasterKey(config.masterKey, database.dataDirectory, false);
      const keyMaterial = new KeyMaterial(masterKey.key);
      const checkpointKey = new CheckpointSigner(keyMaterial.auditCheckpointSeed).publicKey.key;
      const report = await verifyAuditChain(database.db, keyMaterial.auditChainKey, { checkpointKey, expectHead: flags.expectHead });
      const start = report.startCheckpoint ? ` from checkpoint ${report.startCheckpoint.id} (events up to ${report.startCheckpoint.seq} were pruned)` : '';
      if (report.ok) {
        console.log(`Audit chain intact: ${report.eventsChecked} events verified${start}, ${report.checkpointsChecked} checkpoint signatures valid.`);
        if (report.head) console.log(`Head: ${report.head.seq}:${report.head.hash}`);
        if (report.expectHeadChecked === false) console.log(`The expected head ${flags.expectHead!.seq} is older than the newest checkpoint; it was pruned, so it could not be compared.`);
      } else if (report.brokenCheckpointId) {
        console.error(`Audit checkpoint broken: ${report.problem}.`);
        process.exitCode = EXIT_CHECK_FAILED;
      } else {
        console.error(`Audit chain broken at event ${report.firstBrokenSeq}: ${report.problem}. ${report.eventsChecked} events before it verified${start}.`);
        process.exitCode = EXIT_CHECK_FAILED;
      }
    } finally {
      await database.close();
    }
  });

// Command groups that talk to a running server through the admin API, one file each. A new
// group adds its register function to this list; the completion script picks it up by itself.
const commandGroups: ((program: Command) => void)[] = [registerInstanceCommands, registerAccountCommands, registerCredentialCommands, registerPolicyCommands, registerKeyCommands, registerApplyCommand];
for (const register of commandGroups) register(program);
registerRemoteAuditCommands(audit);
registerCompletionCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CliError) {
    console.error(`error: ${error.message}`);
    process.exit(error.exitCode);
  }
  const { UnsupportedDatabaseError, isDatabaseUnavailable } = await import('../storage/database.js');
  if (error instanceof ConfigError || error instanceof MasterKeyError || error instanceof UnsupportedDatabaseError) {
    console.error(`tessera: ${error.message}`);
    process.exit(EXIT_USAGE);
  }
  if (isDatabaseUnavailable(error)) {
    const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code ?? (error as Error).message;
    console.error(`tessera: cannot reach the database (${reason}); check TESSERA_DATABASE_URL and that the database server is running.`);
    process.exit(EXIT_USAGE);
  }
  throw error;
}
