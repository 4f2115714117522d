/**
 * Starts the tracker on its own, against a running Tessera:
 *
 *   TESSERA_ISSUER=http://127.0.0.1:8080 TRACKER_CLIENT_ID=... TRACKER_CLIENT_SECRET=... \
 *   TRACKER_ROLES_FILE=roles.json npm start -w @tessera/example-tracker
 */
import { createGuard } from '@tessera/guard';
import pino from 'pino';
import { ConfigError, loadTrackerConfig } from './config.js';
import { loadRoles } from './roles.js';
import { Tracker } from './tracker.js';

let config;
let roles;
try {
  config = loadTrackerConfig();
  roles = loadRoles(config.rolesFile);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `The tracker did not start: ${(error as Error).message}`);
  process.exit(2);
}

const logger = pino({ level: config.logLevel, base: { service: 'tracker' } });
const tracker = new Tracker({ roles, logger, publicUrl: config.publicUrl });
const baseUrl = await tracker.listen({ host: config.host, port: config.port });
await tracker.useGuard(
  createGuard({
    issuer: config.issuer,
    audience: baseUrl,
    profile: 'jira',
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    logger: logger.child({ component: 'guard' }),
  }),
);
logger.info({ baseUrl, issuer: config.issuer }, 'tracker started');

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping the tracker');
  tracker.close().then(
    () => process.exit(0),
    (error) => {
      logger.error({ err: error }, 'the tracker did not stop cleanly');
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
