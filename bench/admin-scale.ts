/**
 * The admin API at scale. Seeds a fresh database with many service accounts and audit events
 * and starts a real Tessera server on it. Then signs in as admin and times account lists,
 * searches and audit filters with sequential requests over loopback HTTP, and reads the
 * server's resident memory when idle and after the queries.
 *
 *   node --import tsx bench/admin-scale.ts [--accounts 100000] [--events 10000000]
 *     [--databases sqlite,postgres] [--postgres postgres://postgres@127.0.0.1:5432/postgres]
 *     [--requests 200] [--warmup 20] [--directory /tmp] [--keep]
 *
 * Progress goes to stderr and the Markdown report to stdout. The SQLite file and the
 * PostgreSQL database (tessera_scale_<16 hex digits>) are removed at the end, also on failure,
 * unless --keep is given: then both stay for inspection with EXPLAIN, and their locations are
 * printed on stderr for removal by hand.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { defaultPlan, type SeedPlan } from './admin-scale-data.js';
import { queryKinds, type QueryTiming, timeQuery } from './admin-scale-queries.js';
import { type SeedResult, seedPostgres, seedSqlite } from './admin-scale-seed.js';
import { stopChild } from './child-processes.js';
import { UsageError, exitOnUsageError, parseCommandLine } from './command-line.js';
import { log, parseIntegerOption, requireLoopbackUrl } from './load.js';
import { createBenchDatabase } from './postgres.js';
import { describeCode, markdownTable } from './report.js';
import { AdminSession } from './tessera-client.js';

const TARGET_P95_MS = 100;
const SERVER_START_TIMEOUT_MS = 120_000;
/** Time the server gets after start before its idle memory is read. */
const IDLE_SETTLE_MS = 10_000;

const { values: options } = exitOnUsageError(() =>
  parseCommandLine({
    options: {
      accounts: { type: 'string', default: '100000' },
      events: { type: 'string', default: '10000000' },
      databases: { type: 'string', default: 'sqlite,postgres' },
      postgres: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
      requests: { type: 'string', default: '200' },
      warmup: { type: 'string', default: '20' },
      directory: { type: 'string', default: tmpdir() },
      keep: { type: 'boolean', default: false },
    },
  }),
);

const { accounts, events, requests, warmup, databases, postgresUrl } = exitOnUsageError(() => {
  const databaseNames = options.databases!.split(',').map((name) => name.trim());
  for (const name of databaseNames) {
    if (name !== 'sqlite' && name !== 'postgres') throw new UsageError(`--databases takes sqlite, postgres or both, comma-separated; got "${name}".`);
  }
  return {
    accounts: parseIntegerOption('accounts', options.accounts!, 100, 1_000_000),
    events: parseIntegerOption('events', options.events!, 1_000, 50_000_000),
    requests: parseIntegerOption('requests', options.requests!, 20, 10_000),
    warmup: parseIntegerOption('warmup', options.warmup!, 0, 1_000),
    databases: databaseNames,
    postgresUrl: requireLoopbackUrl('postgres', options.postgres!).href,
  };
});

interface Memory {
  rssMiB: number;
  hwmMiB: number;
}

interface DatabaseRun {
  label: string;
  seed: SeedResult;
  sizeMiB: number;
  idle: Memory;
  loaded: Memory;
  timings: QueryTiming[];
}

function readMemory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
}

/** Starts bench/tessera-server.ts and resolves with its URL; the child is the server process itself, so its pid is the one to measure. */
function startServer(env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess }> {
  const script = fileURLToPath(new URL('./tessera-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`bench/tessera-server.ts printed no address within ${SERVER_START_TIMEOUT_MS / 1000} s; its stderr output is above.`));
    }, SERVER_START_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`bench/tessera-server.ts exited before printing its address (exit code ${code}, signal ${signal}); its stderr output is above.`));
    });
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve({ url: (JSON.parse(line) as { url: string }).url, child });
    });
  });
}

async function measure(label: string, env: NodeJS.ProcessEnv, plan: SeedPlan, password: string): Promise<{ idle: Memory; loaded: Memory; timings: QueryTiming[] }> {
  log(`${label}: starting the server`);
  const { url, child } = await startServer({ ...env, TESSERA_ADMIN_PASSWORD: password });
  try {
    await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
    const idle = readMemory(child.pid!);
    log(`${label}: idle RSS ${idle.rssMiB.toFixed(0)} MiB`);

    const admin = await AdminSession.signIn(url, password);
    const timings: QueryTiming[] = [];
    for (const kind of queryKinds(plan)) {
      const path = await kind.prepare(admin);
      const timing = await timeQuery(admin, kind.name, path, warmup, requests);
      log(`${label}: ${kind.name}: p50 ${timing.p50.toFixed(1)} ms, p95 ${timing.p95.toFixed(1)} ms, p99 ${timing.p99.toFixed(1)} ms, ${timing.items} items`);
      timings.push(timing);
    }
    const loaded = readMemory(child.pid!);
    return { idle, loaded, timings };
  } finally {
    await stopChild(child, 'the Tessera server');
  }
}

function sqliteSize(path: string): number {
  let bytes = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      bytes += statSync(`${path}${suffix}`).size;
    } catch {
      // The WAL files exist only while the database is open or not yet checkpointed.
    }
  }
  return bytes / 1024 / 1024;
}

async function postgresSize(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ size: string }>('SELECT pg_database_size(current_database()) AS size');
    return Number(result.rows[0].size) / 1024 / 1024;
  } finally {
    await client.end();
  }
}

async function runSqlite(plan: SeedPlan, masterKey: Buffer, password: string): Promise<DatabaseRun> {
  const directory = mkdtempSync(join(options.directory!, 'tessera-scale-'));
  const path = join(directory, 'tessera.db');
  try {
    log(`SQLite: seeding ${path}`);
    const seed = await seedSqlite(path, plan, masterKey, password);
    log(`SQLite: seeded in ${seed.seconds.toFixed(0)} s`);
    const sizeMiB = sqliteSize(path);
    const result = await measure('SQLite', { TESSERA_BENCH_SQLITE_PATH: path, TESSERA_BENCH_MASTER_KEY: masterKey.toString('base64') }, plan, password);
    return { label: 'SQLite', seed, sizeMiB, ...result };
  } finally {
    if (options.keep) log(`SQLite: kept ${path}; remove ${directory} when done`);
    else rmSync(directory, { recursive: true, force: true });
  }
}

async function runPostgres(plan: SeedPlan, masterKey: Buffer, password: string): Promise<DatabaseRun> {
  const database = await createBenchDatabase(postgresUrl, 'tessera_scale');
  try {
    log(`PostgreSQL: seeding ${database.name}`);
    const seed = await seedPostgres(database.url, plan, masterKey, password);
    log(`PostgreSQL: seeded in ${seed.seconds.toFixed(0)} s`);
    const sizeMiB = await postgresSize(database.url);
    const result = await measure('PostgreSQL', { TESSERA_BENCH_DATABASE_URL: database.url, TESSERA_BENCH_MASTER_KEY: masterKey.toString('base64') }, plan, password);
    return { label: 'PostgreSQL', seed, sizeMiB, ...result };
  } finally {
    if (options.keep) log(`PostgreSQL: kept ${database.url}; drop the database ${database.name} when done`);
    else await database.drop();
  }
}

function formatMs(value: number): string {
  return value.toFixed(1);
}

function report(plan: SeedPlan, runs: DatabaseRun[]): string {
  const names = runs[0]?.timings.map((timing) => timing.name) ?? [];
  const rows = names.map((name, index) => ({ name, timings: runs.map((run) => run.timings[index]) }));
  const latency = markdownTable(
    [
      { header: 'query', numeric: false, value: (row: (typeof rows)[number]) => row.name },
      ...runs.flatMap((run, index) => [
        { header: `${run.label} p50`, numeric: true, value: (row: (typeof rows)[number]) => formatMs(row.timings[index].p50) },
        { header: `${run.label} p95`, numeric: true, value: (row: (typeof rows)[number]) => `${formatMs(row.timings[index].p95)}${row.timings[index].p95 <= TARGET_P95_MS ? '' : ' ✗'}` },
        { header: `${run.label} p99`, numeric: true, value: (row: (typeof rows)[number]) => formatMs(row.timings[index].p99) },
        { header: `${run.label} items`, numeric: true, value: (row: (typeof rows)[number]) => String(row.timings[index].items) },
      ]),
    ],
    rows,
  );
  const summary = markdownTable(
    [
      { header: 'database', numeric: false, value: (run: DatabaseRun) => run.label },
      { header: 'seed (s)', numeric: true, value: (run: DatabaseRun) => run.seed.seconds.toFixed(0) },
      { header: 'of which indexes (s)', numeric: true, value: (run: DatabaseRun) => run.seed.indexSeconds.toFixed(0) },
      { header: 'size on disk (MiB)', numeric: true, value: (run: DatabaseRun) => run.sizeMiB.toFixed(0) },
      { header: 'RSS idle (MiB)', numeric: true, value: (run: DatabaseRun) => run.idle.rssMiB.toFixed(0) },
      { header: 'RSS after queries (MiB)', numeric: true, value: (run: DatabaseRun) => run.loaded.rssMiB.toFixed(0) },
      { header: 'peak RSS, VmHWM (MiB)', numeric: true, value: (run: DatabaseRun) => run.loaded.hwmMiB.toFixed(0) },
    ],
    runs,
  );
  return [
    `${plan.accounts.toLocaleString('en-US')} service accounts, ${plan.events.toLocaleString('en-US')} audit events; ${warmup} warm-up then ${requests} sequential requests per query over loopback HTTP. Times in ms; ✗ marks a p95 above ${TARGET_P95_MS} ms.`,
    '',
    latency,
    '',
    summary,
    '',
    `Node.js ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}. ${describeCode()}`,
  ].join('\n');
}

const plan = defaultPlan(accounts, events, Date.now());
const masterKey = randomBytes(32);
const password = randomBytes(18).toString('base64url');
const runs: DatabaseRun[] = [];
for (const name of databases) {
  runs.push(name === 'sqlite' ? await runSqlite(plan, masterKey, password) : await runPostgres(plan, masterKey, password));
}
process.stdout.write(`${report(plan, runs)}\n`);
