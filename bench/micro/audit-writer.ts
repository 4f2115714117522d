/**
 * Measures the audit writer (packages/server/src/audit/writer.ts) alone: how many events per
 * second it commits durably, and how many events share one commit, with 1, 16 and 256 writes
 * in flight, on SQLite and on PostgreSQL.
 *
 *   node --import tsx bench/micro/audit-writer.ts [--seconds 2] [--rounds 5] [--concurrency 1,16,256]
 *     [--postgres postgres://postgres@127.0.0.1:5432/postgres | --postgres none]
 *
 * SQLite runs on a fresh file in a temporary folder, opened by the server's openDatabase with
 * its pragmas (WAL, synchronous=FULL). PostgreSQL runs on a database named
 * tessera_micro_<16 hex digits> that the script creates on the loopback server `--postgres`
 * names and drops at the end, with the server's pool settings. Both get the server's migrations.
 *
 * Each writer awaits `write()` of a `token.issued` event shaped like the token endpoint's, then
 * writes the next, so `--concurrency` is the number of events in flight. `write()` resolves
 * once the event's transaction committed. The writer's observer counts the commits, so events
 * per commit is the mean batch size of the group commit. Progress goes to stderr and the
 * Markdown report to stdout.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { AuditWriter } from '../../packages/server/src/audit/writer.js';
import { sqliteRowStore } from '../../packages/server/src/audit/row-store.js';
import type { AuditEventInput } from '../../packages/server/src/audit/event.js';
import { systemClock } from '../../packages/server/src/clock.js';
import { type OpenDatabase, openDatabase } from '../../packages/server/src/storage/database.js';
import { migrateToLatest } from '../../packages/server/src/storage/migrations.js';
import { requireLoopbackUrl } from '../load.js';
import { describeCode, formatRate, markdownTable, median } from '../report.js';
import { checkTotalTime, describeHardware, describeLoad, log, parseMicroOptions } from './harness.js';
import { exitOnUsageError } from '../command-line.js';

/** The only names this script creates, and so the only ones it drops. */
const MICRO_DATABASE_NAME = /^tessera_micro_[0-9a-f]{16}$/;

const options = parseMicroOptions({ seconds: 2, rounds: 5 }, { concurrency: '1,16,256', postgres: 'postgres://postgres@127.0.0.1:5432/postgres' });
const concurrencyLevels = options.extra.concurrency.split(',').map(Number);
for (const level of concurrencyLevels) {
  if (!Number.isInteger(level) || level < 1 || level > 4096) throw new Error(`--concurrency lists integers from 1 to 4096 separated by commas, got "${options.extra.concurrency}"`);
}
const postgresAdminUrl = options.extra.postgres === 'none' ? undefined : requireLoopbackUrl('postgres', options.extra.postgres).href;

async function withPostgresClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A database for one dialect, with a way to remove what the script created. */
interface Subject {
  label: string;
  database: OpenDatabase;
  /** Durability settings as the database reports them, for the report. */
  durability: string;
  remove(): Promise<void>;
}

async function openSqliteSubject(): Promise<Subject> {
  const directory = mkdtempSync(join(tmpdir(), 'tessera-micro-audit-'));
  const database = openDatabase(join(directory, 'tessera.db'));
  await migrateToLatest(database.db);
  const pragmas = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(database.db);
  const synchronous = await sql<{ synchronous: number }>`pragma synchronous`.execute(database.db);
  return {
    label: 'SQLite',
    database,
    durability: `journal_mode=${pragmas.rows[0]?.journal_mode}, synchronous=${synchronous.rows[0]?.synchronous} (2 is FULL), file in ${tmpdir()}`,
    async remove() {
      await database.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function openPostgresSubject(adminUrl: string): Promise<Subject> {
  const name = `tessera_micro_${randomBytes(8).toString('hex')}`;
  // The name is generated above from hex digits, so it needs no quoting.
  await withPostgresClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;

  const drop = async () => {
    if (!MICRO_DATABASE_NAME.test(name)) throw new Error(`refusing to drop "${name}", which this script did not create`);
    await withPostgresClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    log(`dropped the database ${name}`);
  };

  let database: OpenDatabase | undefined;
  try {
    database = openDatabase(url.href);
    await migrateToLatest(database.db);
    const settings = await sql<{ name: string; setting: string }>`select name, setting from pg_settings where name in ('synchronous_commit', 'fsync', 'wal_sync_method', 'server_version')`.execute(database.db);
    const opened = database;
    return {
      label: 'PostgreSQL',
      database: opened,
      durability: settings.rows.map((row) => `${row.name}=${row.setting}`).join(', '),
      async remove() {
        await opened.close();
        await drop();
      },
    };
  } catch (error) {
    await database?.close();
    await drop();
    throw error;
  }
}

/** Builds an event shaped like the token endpoint's `token.issued`, with a new jti each time. */
function tokenIssuedEvent(accountId: string, instanceId: string): AuditEventInput {
  return {
    actor: { type: 'service_account', id: accountId, credentialId: randomUUID() },
    action: 'token.issued',
    target: { type: 'instance', id: instanceId },
    instanceId,
    source: { ip: '127.0.0.1', userAgent: 'tessera-micro-bench' },
    outcome: 'success',
    details: { jti: randomUUID(), scope: 'READ WRITE', expiresIn: 900, authMethod: 'client_secret_basic' },
  };
}

interface Measurement {
  events: number;
  commits: number;
  seconds: number;
}

/** Keeps `concurrency` writes in flight for `seconds` and counts the events and commits. */
async function measureWriter(writer: AuditWriter, concurrency: number, seconds: number): Promise<Measurement> {
  let commits = 0;
  let committedEvents = 0;
  writer.observer = {
    groupCommitted(events) {
      commits += 1;
      committedEvents += events;
    },
    transactionCommitted() {},
  };

  const accountId = randomUUID();
  const instanceId = randomUUID();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let written = 0;
  const loop = async () => {
    while (performance.now() < deadline) {
      await writer.write(tokenIssuedEvent(accountId, instanceId));
      written += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = (performance.now() - started) / 1000;

  writer.observer = null;
  if (committedEvents !== written) throw new Error(`the writer committed ${committedEvents} events but ${written} writes resolved`);
  return { events: written, commits, seconds: elapsed };
}

interface Row {
  database: string;
  concurrency: number;
  rates: number[];
  batchSizes: number[];
}

async function measureSubject(subject: Subject, rows: Row[]): Promise<void> {
  // The same row store and PostgreSQL commit as the server's (server.ts).
  const { database } = subject;
  const writer = new AuditWriter(database.db, systemClock, pino({ level: 'silent' }), randomBytes(32), database.dialect, database.sqlite && sqliteRowStore(database.sqlite), database.pool, database.sqlite);
  try {
    // Untimed, so that the first statements are prepared and the JIT has compiled the writer.
    await measureWriter(writer, 16, Math.min(1, options.seconds));

    const subjectRows = concurrencyLevels.map((concurrency) => ({ database: subject.label, concurrency, rates: [] as number[], batchSizes: [] as number[] }));
    rows.push(...subjectRows);
    for (let round = 1; round <= options.rounds; round += 1) {
      for (const row of subjectRows) {
        const result = await measureWriter(writer, row.concurrency, options.seconds);
        row.rates.push(result.events / result.seconds);
        row.batchSizes.push(result.events / result.commits);
        log(`round ${round}/${options.rounds}: ${subject.label}, ${row.concurrency} in flight: ${formatRate(result.events / result.seconds)} events/s, ${(result.events / result.commits).toFixed(1)} events per commit`);
      }
    }
  } finally {
    await writer.close();
  }
}

exitOnUsageError(() => checkTotalTime(options, concurrencyLevels.length * (postgresAdminUrl ? 2 : 1)));
const rows: Row[] = [];
const durability: string[] = [];

const sqlite = await openSqliteSubject();
try {
  durability.push(`SQLite: ${sqlite.durability}.`);
  await measureSubject(sqlite, rows);
} finally {
  await sqlite.remove();
}

if (postgresAdminUrl) {
  const postgres = await openPostgresSubject(postgresAdminUrl);
  try {
    durability.push(`PostgreSQL on ${new URL(postgresAdminUrl).host}: ${postgres.durability}.`);
    await measureSubject(postgres, rows);
  } finally {
    await postgres.remove();
  }
}

console.log('### Audit writer, durable events per second\n');
console.log(`Hardware: ${describeHardware()}. ${describeCode()}`);
console.log(`Each level: ${options.rounds} rounds of ${options.seconds} s; the table gives the median round. The writer's process also runs the load; PostgreSQL runs in its own processes on the same machine. ${describeLoad()}\n`);
for (const line of durability) console.log(`- ${line}`);
console.log('');
console.log(
  markdownTable(
    [
      { header: 'database', numeric: false, value: (row: Row) => row.database },
      { header: 'writes in flight', numeric: true, value: (row: Row) => String(row.concurrency) },
      { header: 'events/s (median)', numeric: true, value: (row: Row) => formatRate(median(row.rates)) },
      { header: 'events per commit (median)', numeric: true, value: (row: Row) => median(row.batchSizes).toFixed(1) },
      { header: 'rounds (events/s)', numeric: false, value: (row: Row) => row.rates.map(formatRate).join(', ') },
    ],
    rows,
  ),
);
