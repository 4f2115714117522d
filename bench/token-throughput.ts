/**
 * Measures the throughput of Tessera's POST /oauth/token and compares it with a bare
 * node:http server.
 *
 *   node --import tsx bench/token-throughput.ts [--runs 5] [--duration 10] [--warmup 2] [--connections 50] [--idle-wait 0]
 *     [--postgres postgres://postgres@127.0.0.1:5432/postgres]
 *
 * Tessera (bench/tessera-server.ts) and the bare server (bench/bare-http.ts) run as child
 * processes bound to 127.0.0.1. With --postgres, a second Tessera server runs on a fresh
 * database named tessera_bench_<random> on that PostgreSQL server, which must be on loopback
 * and let the role create databases. The script drops that database at the end.
 *
 * When taskset exists and two CPUs are available, the servers are pinned to CPU 0 and this
 * load generator to CPU 1. PostgreSQL is not started by this script and is not pinned. Each
 * run starts with a warm-up whose results are discarded except for failed responses, and the
 * targets take turns run by run so that drift in the machine affects all of them alike. CPU
 * shares come from /proc, so they are "n/a" outside Linux.
 *
 * Progress goes to stderr and the Markdown report to stdout. The exit status is 1 when any
 * response was not 2xx, any socket failed or an audit check failed.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism, cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stopChild } from './child-processes.js';
import type { CpuGroup } from './cpu.js';
import {
  LOAD_GENERATOR_GROUP,
  LOAD_OPTION_DEFINITIONS,
  type LoadOptions,
  type LoadResult,
  type LoadTarget,
  autocannonVersion,
  describeIdleWait,
  formatProgress,
  hasFailures,
  log,
  measureLoad,
  parseLoadOptions,
  requireLoopbackUrl,
  sampleIdleMachine,
} from './load.js';
import { checkAudit } from './audit-check.js';
import { AuditCommitProbe, type BenchDatabase, createBenchDatabase, findPostmasterPid } from './postgres.js';
import { describeCode, formatCpu } from './report.js';
import { AUDIT_COMMITS_NOTE, cpuNote, medianRate, ratioColumn, runTable, summaryTable } from './tables.js';
import { AdminSession, FORM_CONTENT_TYPE, type ServiceAccount, basicAuthorization, createServiceAccount, verifyTokenRequest } from './tessera-client.js';

const SERVER_CPU = '0';
const LOAD_GENERATOR_CPU = '1';
const SERVER_START_TIMEOUT_MS = 60_000;

interface BenchOptions extends LoadOptions {
  /** URL of a PostgreSQL server where the benchmark may create and drop a database, or null to measure SQLite only. */
  postgresUrl: string | null;
}

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: { ...LOAD_OPTION_DEFINITIONS, postgres: { type: 'string' } },
    strict: true,
  });
  const postgresUrl = values.postgres ?? null;
  if (postgresUrl !== null) requireLoopbackUrl('postgres', postgresUrl);

  // SQLite with Basic and with post, the bare server, and PostgreSQL with Basic when requested.
  const targetCount = postgresUrl === null ? 3 : 4;
  return { ...parseLoadOptions(values, targetCount), postgresUrl };
}

function tasksetAvailable(): boolean {
  return spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Pins every thread of this process to the load generator CPU when taskset and two CPUs are
 * available, and returns whether it did with a description for the report.
 */
function pinLoadGenerator(): { pinned: boolean; description: string } {
  if (availableParallelism() < 2) {
    return { pinned: false, description: `not pinned: only ${availableParallelism()} CPU is available, so servers and load generator share it` };
  }
  if (!tasksetAvailable()) {
    return { pinned: false, description: 'not pinned: taskset is not installed, so servers and load generator share all CPUs' };
  }

  const result = spawnSync('taskset', ['--all-tasks', '--cpu-list', '--pid', LOAD_GENERATOR_CPU, String(process.pid)], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`taskset failed to pin the load generator to CPU ${LOAD_GENERATOR_CPU}: ${result.stderr.trim() || `exit status ${result.status}`}`);
  }
  return { pinned: true, description: `servers on CPU ${SERVER_CPU} and the load generator on CPU ${LOAD_GENERATOR_CPU} (taskset)` };
}

interface ChildServer {
  url: string;
  process: ChildProcess;
}

/**
 * Spawns a server script under tsx, pinned to the server CPU when `pinned`, and resolves with
 * the URL that the script prints as its first line on stdout.
 */
function startChildServer(script: string, pinned: boolean, env: NodeJS.ProcessEnv = {}): Promise<ChildServer> {
  const scriptPath = fileURLToPath(new URL(script, import.meta.url));
  const nodeArgs = ['--import', 'tsx', scriptPath];
  const command = pinned ? 'taskset' : process.execPath;
  const args = pinned ? ['--cpu-list', SERVER_CPU, process.execPath, ...nodeArgs] : nodeArgs;

  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  return new Promise<ChildServer>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`${script} printed no address within ${SERVER_START_TIMEOUT_MS / 1000} s. Its stderr output is above.`));
    }, SERVER_START_TIMEOUT_MS);

    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited before printing its address (exit code ${code}, signal ${signal}). Its stderr output is above.`));
    };
    child.once('exit', onExit);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`starting ${command} for ${script} failed: ${error.message}`));
    });

    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      try {
        const { url } = JSON.parse(line) as { url: string };
        resolve({ url, process: child });
      } catch {
        child.kill('SIGTERM');
        reject(new Error(`${script} printed "${line.slice(0, 200)}" instead of {"url": ...} on its first line.`));
      }
    });
  });
}

/** A Tessera server under load, with the service account its targets use. */
interface TesseraUnderTest {
  label: string;
  server: ChildServer;
  admin: AdminSession;
  account: ServiceAccount;
  basicHeaders: Record<string, string>;
  auditSeqBefore: number;
}

const BASIC_BODY = 'grant_type=client_credentials';

async function prepareTessera(label: string, server: ChildServer, adminPassword: string): Promise<TesseraUnderTest> {
  const admin = await AdminSession.signIn(server.url, adminPassword);
  const account = await createServiceAccount(admin);
  const basicHeaders = { 'content-type': FORM_CONTENT_TYPE, authorization: basicAuthorization(account.clientId, account.clientSecret) };
  await verifyTokenRequest(server.url, account, basicHeaders, BASIC_BODY, `client_secret_basic on ${label}`);
  return { label, server, admin, account, basicHeaders, auditSeqBefore: 0 };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const cpusBeforePinning = availableParallelism();
  const pinning = pinLoadGenerator();
  log(`pinning: ${pinning.description}`);

  const idleBusy = await sampleIdleMachine(3);
  log(`machine busy before the benchmark: ${formatCpu(idleBusy)} of ${cpusBeforePinning * 100} % over 3 s`);

  const adminPassword = randomBytes(18).toString('base64url');
  let sqliteServer: ChildServer | undefined;
  let postgresServer: ChildServer | undefined;
  let bare: ChildServer | undefined;
  let database: BenchDatabase | undefined;
  let auditProbe: AuditCommitProbe | undefined;
  try {
    // An empty TESSERA_BENCH_DATABASE_URL selects SQLite even when the shell has one set.
    sqliteServer = await startChildServer('./tessera-server.ts', pinning.pinned, { TESSERA_ADMIN_PASSWORD: adminPassword, TESSERA_BENCH_DATABASE_URL: '' });
    bare = await startChildServer('./bare-http.ts', pinning.pinned);
    log(`Tessera on SQLite at ${sqliteServer.url} (pid ${sqliteServer.process.pid}), bare node:http at ${bare.url} (pid ${bare.process.pid})`);

    let postmasterPid: number | null = null;
    if (options.postgresUrl !== null) {
      database = await createBenchDatabase(options.postgresUrl);
      log(`created the PostgreSQL database ${database.name}`);
      postmasterPid = await findPostmasterPid(options.postgresUrl);
      postgresServer = await startChildServer('./tessera-server.ts', pinning.pinned, { TESSERA_ADMIN_PASSWORD: adminPassword, TESSERA_BENCH_DATABASE_URL: database.url });
      auditProbe = await AuditCommitProbe.open(database.url);
      log(`Tessera on PostgreSQL at ${postgresServer.url} (pid ${postgresServer.process.pid}), PostgreSQL postmaster pid ${postmasterPid ?? 'not visible in /proc'}`);
    }

    const sqlite = await prepareTessera('Tessera on SQLite', sqliteServer, adminPassword);
    const postBody = new URLSearchParams({ grant_type: 'client_credentials', client_id: sqlite.account.clientId, client_secret: sqlite.account.clientSecret }).toString();
    const postHeaders = { 'content-type': FORM_CONTENT_TYPE };
    await verifyTokenRequest(sqliteServer.url, sqlite.account, postHeaders, postBody, 'client_secret_post on Tessera on SQLite');
    const postgres = postgresServer ? await prepareTessera('Tessera on PostgreSQL', postgresServer, adminPassword) : undefined;
    log('one token per target verified with jose against /oauth/jwks');

    const serverGroup = (pid: number): CpuGroup => ({ name: 'server', pids: () => [pid], includeDescendants: true });
    const postgresGroup: CpuGroup[] = postmasterPid === null ? [] : [{ name: 'PostgreSQL', pids: () => [postmasterPid], includeDescendants: true }];
    const groupsFor = (pid: number): CpuGroup[] => [serverGroup(pid), ...postgresGroup, LOAD_GENERATOR_GROUP];
    const groupNames = ['server', ...postgresGroup.map((group) => group.name), LOAD_GENERATOR_GROUP.name];

    const targets: (LoadTarget & { tessera: TesseraUnderTest | null })[] = [
      { name: 'Tessera on SQLite, client_secret_basic', tessera: sqlite, url: `${sqliteServer.url}/oauth/token`, headers: sqlite.basicHeaders, body: BASIC_BODY, cpuGroups: groupsFor(sqliteServer.process.pid!) },
      { name: 'Tessera on SQLite, client_secret_post', tessera: sqlite, url: `${sqliteServer.url}/oauth/token`, headers: postHeaders, body: postBody, cpuGroups: groupsFor(sqliteServer.process.pid!) },
    ];
    if (postgres) {
      targets.push({ name: 'Tessera on PostgreSQL, client_secret_basic', tessera: postgres, url: `${postgres.server.url}/oauth/token`, headers: postgres.basicHeaders, body: BASIC_BODY, cpuGroups: groupsFor(postgres.server.process.pid!), auditProbe });
    }
    // The same request as the Basic targets, so that every server parses requests of the same size.
    targets.push({ name: 'bare node:http', tessera: null, url: `${bare.url}/oauth/token`, headers: sqlite.basicHeaders, body: BASIC_BODY, cpuGroups: groupsFor(bare.process.pid!) });

    const tesseras = [sqlite, ...(postgres ? [postgres] : [])];
    for (const tessera of tesseras) tessera.auditSeqBefore = await tessera.admin.latestAuditSeq();

    const startedAt = Date.now();
    const results: LoadResult[] = [];
    for (let run = 1; run <= options.runs; run += 1) {
      for (const target of targets) {
        log(`run ${run}/${options.runs}: ${target.name} (${options.warmup} s warm-up, ${options.duration} s measured, ${options.connections} connections)`);
        const result = await measureLoad(target, run, options);
        log(`  ${formatProgress(result)}`);
        results.push(result);
      }
    }
    const loadMinutes = (Date.now() - startedAt) / 60_000;

    // Requests still in flight when autocannon stops are completed by the server but not
    // counted. Wait 1 s for their audit events to commit before the audit logs are read.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const auditChecks = [];
    for (const tessera of tesseras) {
      const names = new Set(targets.filter((target) => target.tessera === tessera).map((target) => target.name));
      auditChecks.push(await checkAudit(tessera.label, tessera.admin, tessera.auditSeqBefore, results.filter((result) => names.has(result.target)), options));
    }

    const baselineRate = medianRate(results.filter((result) => result.target === 'bare node:http'));
    const summaries = targets.map((target) => {
      const own = results.filter((result) => result.target === target.name);
      return { name: target.name, results: own, ratio: target.tessera === null ? '1 (baseline)' : (medianRate(own) / baselineRate).toFixed(3) };
    });

    const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
    const report = [
      `Node.js ${process.version}, autocannon ${autocannonVersion}, ${cpuModel}, ${cpusBeforePinning} CPUs available before pinning. ` +
        `The machine was ${formatCpu(idleBusy)} busy during 3 s before the load.`,
      describeCode(),
      `Pinning: ${pinning.description}${options.postgresUrl === null ? '' : '; PostgreSQL not pinned'}.`,
      `Each run: ${options.warmup} s warm-up, then ${options.duration} s measured, ${options.connections} connections, HTTP/1.1 keep-alive, no pipelining. Medians over ${options.runs} runs. ` +
        `The load took ${loadMinutes.toFixed(1)} min.${describeIdleWait(options, results)} The ratio column compares with the bare node:http median.`,
      '',
      summaryTable(summaries, groupNames, [ratioColumn()]),
      '',
      cpuNote(cpusBeforePinning),
      ...(auditProbe ? ['', AUDIT_COMMITS_NOTE] : []),
      '',
      '<details><summary>Every run</summary>',
      '',
      runTable(results, groupNames),
      '',
      '</details>',
      '',
      ...auditChecks.map((check) => check.sentence),
    ].join('\n');
    process.stdout.write(`${report}\n`);

    for (const tessera of tesseras) {
      await verifyTokenRequest(tessera.server.url, tessera.account, tessera.basicHeaders, BASIC_BODY, `client_secret_basic on ${tessera.label} after the load`);
    }
    log('a token from each Tessera server requested after the load verified with jose');

    if (auditChecks.some((check) => check.failed)) process.exitCode = 1;
    if (results.some(hasFailures)) {
      process.exitCode = 1;
      log('some runs had non-2xx responses or socket errors; see the status column');
    }
  } finally {
    await stopChild(sqliteServer?.process, 'the Tessera server on SQLite');
    await stopChild(postgresServer?.process, 'the Tessera server on PostgreSQL');
    await stopChild(bare?.process, 'the bare HTTP server');
    await auditProbe?.close();
    if (database) {
      await database.drop();
      log(`dropped the PostgreSQL database ${database.name}`);
    }
  }
}

await main();
