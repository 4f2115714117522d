/**
 * Starts a Tessera server for a benchmark and prints `{"url": "http://127.0.0.1:PORT"}` as
 * the first line on stdout. The server binds 127.0.0.1 on a free port and logs nothing. It
 * uses the PostgreSQL database that TESSERA_BENCH_DATABASE_URL names, which the parent creates
 * and drops. Without it, it uses the SQLite file that TESSERA_BENCH_SQLITE_PATH names, which the
 * parent creates and removes, or else a fresh SQLite file in a temporary folder.
 * TESSERA_BENCH_MASTER_KEY (base64, 32 bytes) sets the master key, for a database seeded with
 * audit hashes under it. Without it the key is random.
 *
 * The admin password comes from TESSERA_ADMIN_PASSWORD, which the parent sets. The process
 * stops, closes the server and removes the folder on SIGTERM or SIGINT, when its stdin closes
 * (the parent exited), or after MAX_LIFETIME_MS.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../packages/server/src/config.js';
import { createTessera } from '../packages/server/src/server.js';
import { isPostgresUrl } from '../packages/server/src/storage/database.js';

const MAX_LIFETIME_MS = 15 * 60 * 1000;

const adminPassword = process.env.TESSERA_ADMIN_PASSWORD;
if (!adminPassword) {
  console.error('TESSERA_ADMIN_PASSWORD is missing. Start this server through bench/token-throughput.ts, which sets it, or set it yourself.');
  process.exit(2);
}

const postgresUrl = process.env.TESSERA_BENCH_DATABASE_URL || undefined;
if (postgresUrl !== undefined && !isPostgresUrl(postgresUrl)) {
  console.error(`TESSERA_BENCH_DATABASE_URL must be a postgres:// URL or empty for SQLite; got "${postgresUrl}".`);
  process.exit(2);
}

const sqlitePath = process.env.TESSERA_BENCH_SQLITE_PATH || undefined;
const directory = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
const config = loadConfig(
  {
    databaseUrl: postgresUrl ?? sqlitePath ?? join(directory, 'tessera.db'),
    dataDirectory: directory,
    host: '127.0.0.1',
    port: 0,
    adminPassword,
    // A key from memory, so that no master key file is written beside the database.
    masterKey: process.env.TESSERA_BENCH_MASTER_KEY || randomBytes(32).toString('base64'),
  },
  {},
);
const tessera = await createTessera({ config, logger: pino({ level: 'silent' }) });
const address = await tessera.listen();

// Tokens carry the issuer, and it must match the address clients use, which is known only
// after listening. The test helper in packages/server/test/support/server.ts does the same.
const baseUrl = address.replace('localhost', '127.0.0.1');
tessera.context.config.issuer = baseUrl;

let stopping = false;
async function stop(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  let exitCode = 0;
  try {
    await tessera.close();
  } catch (error) {
    console.error(`closing the Tessera server failed (${reason}):`, error);
    exitCode = 1;
  }
  rmSync(directory, { recursive: true, force: true });
  process.exit(exitCode);
}

process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
process.stdin.on('end', () => void stop('stdin closed'));
process.stdin.resume();
setTimeout(() => {
  console.error(`the benchmark Tessera server ran for ${MAX_LIFETIME_MS / 60_000} minutes and stops by itself`);
  void stop('maximum lifetime');
}, MAX_LIFETIME_MS).unref();

process.stdout.write(`${JSON.stringify({ url: baseUrl })}\n`);
