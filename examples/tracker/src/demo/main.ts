/**
 * `npm run demo`: starts Tessera on a fresh SQLite database in a temporary folder and the
 * tracker next to it, registers the tracker in Tessera, creates its service account and a
 * sample automation account, and prints commands to try. Everything binds 127.0.0.1.
 *
 * Ports: TESSERA_PORT (default 8080) and TRACKER_PORT (default 8090). The admin password is
 * TESSERA_ADMIN_PASSWORD, or a random one that the demo prints.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGuard } from '@tessera/guard';
import pino from 'pino';
import { ANY_ACCOUNT, RoleStore } from '../roles.js';
import { Tracker } from '../tracker.js';
import { AdminApi, type CreatedAccount } from './admin-api.js';
import { demoInstructions } from './instructions.js';
import { type TesseraProcess, startTessera } from './tessera-process.js';

const PANEL_INDEX = fileURLToPath(new URL('../../../../packages/web/dist/index.html', import.meta.url));
const INSTANCE_SLUG = 'tracker';
const AUTOMATION_NAME = 'nightly-automation';

function portFromEnv(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^[0-9]{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw new Error(`${name} is "${value}"; use a port number from 1 to 65535.`);
  return Number(value);
}

/**
 * Fails with a clear message when a port on 127.0.0.1 is taken. Otherwise a Tessera already
 * running there (such as one from `npm start`) would respond to the demo's readiness check.
 */
async function ensurePortFree(port: number, variable: string): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new Error(error.code === 'EADDRINUSE' ? `127.0.0.1:${port} is in use; stop what listens there or set ${variable} to a free port.` : error.message));
    });
    server.listen(port, '127.0.0.1', () => resolve());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Creates the tracker's instance and the two service accounts through the admin API. */
async function provision(admin: AdminApi, trackerUrl: string): Promise<{ guardAccount: CreatedAccount; automation: CreatedAccount }> {
  await admin.create('/instances', { slug: INSTANCE_SLUG, name: 'Tracker', profile: 'jira', audience: trackerUrl });

  // The tracker's own account reads the revocation feed and sends usage reports. Its grant
  // names no project, so its own tokens could not read anything in the tracker.
  const guardAccount = await admin.create<CreatedAccount>('/service-accounts', {
    name: 'tracker-guard',
    description: 'The tracker itself: revocation feed and usage reports.',
    owner: 'tracker',
    access: [{ instance: INSTANCE_SLUG, scopes: ['READ'] }],
    credential: { expiresInDays: 30 },
  });
  const automation = await admin.create<CreatedAccount>('/service-accounts', {
    name: AUTOMATION_NAME,
    description: 'Sample automation that files and updates issues in ABC.',
    owner: 'ops-team',
    access: [{ instance: INSTANCE_SLUG, scopes: ['WRITE'], resources: { project: ['ABC'] } }],
    credential: { expiresInDays: 30 },
  });
  return { guardAccount, automation };
}

function demoRoles(automationClientId: string): RoleStore {
  const roles = new RoleStore();
  for (const project of ['ABC', 'OPS', 'WEB']) roles.assign(project, ANY_ACCOUNT, 'viewer');
  roles.assign('ABC', automationClientId, 'developer');
  return roles;
}

async function main(): Promise<void> {
  const tesseraPort = portFromEnv('TESSERA_PORT', 8080);
  const trackerPort = portFromEnv('TRACKER_PORT', 8090);
  const adminPassword = process.env.TESSERA_ADMIN_PASSWORD || randomBytes(12).toString('base64url');
  await ensurePortFree(tesseraPort, 'TESSERA_PORT');
  await ensurePortFree(trackerPort, 'TRACKER_PORT');
  const dataDirectory = mkdtempSync(join(tmpdir(), 'tessera-demo-'));

  let tessera: TesseraProcess | undefined;
  let tracker: Tracker | undefined;
  let stopping = false;
  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    await tracker?.close().catch((error) => console.error(`Stopping the tracker failed: ${(error as Error).message}`));
    await tessera?.stop();
    rmSync(dataDirectory, { recursive: true, force: true });
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    console.log(`Starting Tessera on 127.0.0.1:${tesseraPort} with its data in ${dataDirectory} ...`);
    tessera = await startTessera({ dataDirectory, port: tesseraPort, adminPassword });
    tessera.child.once('exit', (code) => {
      if (stopping) return;
      console.error(`Tessera exited unexpectedly (code ${code}); see ${tessera?.logFile}. Stopping the demo.`);
      void stop(1);
    });

    const trackerUrl = `http://127.0.0.1:${trackerPort}`;
    const admin = new AdminApi(tessera.issuer);
    await admin.signIn('admin', adminPassword);
    const { guardAccount, automation } = await provision(admin, trackerUrl);

    const roles = demoRoles(automation.clientId);
    writeFileSync(join(dataDirectory, 'roles.json'), `${JSON.stringify(roles, null, 2)}\n`);

    const logger = pino({ level: 'info', base: { service: 'tracker' } }, pino.destination(join(dataDirectory, 'tracker.log')));
    tracker = new Tracker({ roles, logger });
    await tracker.listen({ host: '127.0.0.1', port: trackerPort });
    await tracker.useGuard(
      createGuard({
        issuer: tessera.issuer,
        audience: trackerUrl,
        profile: 'jira',
        clientId: guardAccount.clientId,
        clientSecret: guardAccount.credential.clientSecret,
        usage: { flushIntervalMs: 1000 },
        logger: logger.child({ component: 'guard' }),
      }),
    );

    console.log(
      demoInstructions({
        issuer: tessera.issuer,
        trackerUrl,
        adminPassword,
        automation: { name: AUTOMATION_NAME, clientId: automation.clientId, clientSecret: automation.credential.clientSecret },
        panelBuilt: existsSync(PANEL_INDEX),
        dataDirectory,
      }),
    );
  } catch (error) {
    console.error(`The demo did not start: ${(error as Error).message}`);
    await stop(1);
  }
}

await main().catch((error) => {
  console.error(`The demo did not start: ${(error as Error).message}`);
  process.exit(1);
});
