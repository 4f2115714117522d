/**
 * Counts the CPU instructions the server executes for one client credentials token request,
 * with valgrind's callgrind, and the same for a bare node:http request as the floor.
 *
 *   node --import tsx bench/micro/callgrind-token.ts [--warmup 2000] [--requests 200] [--targets tessera,bare] [--keep]
 *
 * For each target the script runs bench/micro/token-instructions.ts twice under
 * `valgrind --tool=callgrind --instr-atstart=no`, each time on a fresh server bound to
 * 127.0.0.1. This script is the HTTP client, in its own process outside valgrind, so that
 * the count covers the server alone. It sends `--warmup` requests with instrumentation off, so
 * that start-up and the JIT's first compilations stay out of the count, switches
 * instrumentation on, sends K requests one at a time on one keep-alive connection, and
 * switches it off. K is 0 in the first run and `--requests` in the second. The difference of
 * the two totals divided by `--requests` is the instructions per request. The switching itself
 * costs the same in both runs, so it cancels out.
 *
 * Callgrind counts guest instructions (Ir) per thread, and the report gives the main thread,
 * which runs the JavaScript of the requests, and the sum of all threads, which adds V8's
 * background compiler and garbage collector helpers and libuv's thread pool. The count does
 * not depend on the CPU's speed or on other load on the machine, but it still varies from run
 * to run. Timers fire by wall-clock time, which valgrind stretches many times, and V8 decides
 * by itself when to optimize and when to collect garbage. TurboFan still compiles now and then
 * after the default warm-up, so the all-threads figure varies more than the main thread's. Run the script twice
 * to see the spread. It needs Linux and valgrind (tested with 3.19); each target takes about
 * one to three minutes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { UsageError, exitOnUsageError, parseCommandLine } from '../command-line.js';
import { parseIntegerOption } from '../load.js';
import { describeCode, formatRate, markdownTable } from '../report.js';
import { AdminSession, FORM_CONTENT_TYPE, basicAuthorization, createServiceAccount, verifyTokenRequest } from '../tessera-client.js';
import { describeHardware, log } from './harness.js';

/** A valgrind run that takes longer than this is stopped, and the script fails. */
const RUN_TIMEOUT_MS = 6 * 60 * 1000;
const SERVER_SCRIPT = fileURLToPath(new URL('./token-instructions.ts', import.meta.url));

type TargetName = 'tessera' | 'bare';

function parseOptions() {
  const { values } = parseCommandLine({
    options: {
      warmup: { type: 'string', default: '2000' },
      requests: { type: 'string', default: '200' },
      targets: { type: 'string', default: 'tessera,bare' },
      keep: { type: 'boolean', default: false },
    },
  });
  const warmup = parseIntegerOption('warmup', values.warmup, 0, 20_000);
  const requests = parseIntegerOption('requests', values.requests, 1, 2000);

  const targets = values.targets.split(',').map((name) => name.trim());
  for (const name of targets) {
    if (name !== 'tessera' && name !== 'bare') throw new UsageError(`--targets must list tessera, bare or both, separated by commas; got "${name}".`);
  }
  return { warmup, requests, targets: targets as TargetName[], keep: values.keep };
}

/** Sends a POST on the keep-alive agent and returns the status and body. */
function post(agent: Agent, url: URL, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** Sends `count` requests one after another and fails on the first that does not return 200. */
async function sendRequests(count: number, send: () => Promise<{ status: number; body: string }>): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const response = await send();
    if (response.status !== 200) throw new Error(`request ${i + 1} of ${count} returned HTTP ${response.status}: ${response.body.slice(0, 300)}`);
  }
}

/** Instructions (Ir) that callgrind collected while instrumentation was on. */
interface InstructionCounts {
  /** Every thread of the server process. */
  all: number;
  /** The main thread alone, which runs the JavaScript of the requests; V8 compiles and collects garbage partly on other threads. */
  mainThread: number;
}

/**
 * Reads the `totals:` lines of the files that callgrind wrote with --separate-threads=yes, one
 * per thread, named `<out file>-01` and on; thread 1 is the main thread.
 */
function readInstructionCounts(outFile: string): InstructionCounts {
  const prefix = `${basename(outFile)}-`;
  const files = readdirSync(dirname(outFile)).filter((name) => name.startsWith(prefix));
  if (files.length === 0) throw new Error(`callgrind wrote no ${outFile}-NN files`);

  const counts: InstructionCounts = { all: 0, mainThread: 0 };
  for (const name of files) {
    const match = /^totals:\s+(\d+)/m.exec(readFileSync(join(dirname(outFile), name), 'utf8'));
    if (!match) throw new Error(`${name} has no totals line; callgrind did not finish its output`);
    counts.all += Number(match[1]);
    if (name === `${prefix}01`) counts.mainThread = Number(match[1]);
  }
  return counts;
}

/** Returns the command prefix that pins the server to CPU 0, or nothing when taskset or a second CPU is missing. */
function pinPrefix(): string[] {
  if (cpus().length < 2) return [];
  const taskset = spawnSync('taskset', ['--version'], { encoding: 'utf8' });
  return taskset.status === 0 ? ['taskset', '-c', '0'] : [];
}

/**
 * Starts the target under callgrind, sends the warm-up and then `measured` requests with
 * instrumentation on, stops the server and returns the instructions counted.
 */
async function countInstructions(target: TargetName, warmup: number, measured: number, directory: string): Promise<InstructionCounts> {
  const outFile = join(directory, `callgrind.${target}.${measured}.out`);
  const adminPassword = randomBytes(18).toString('base64url');
  const command = [
    ...pinPrefix(),
    'valgrind',
    '--tool=callgrind',
    '--instr-atstart=no',
    // One output file per thread, so that the main thread's count can be read apart from V8's background threads.
    '--separate-threads=yes',
    // V8 writes machine code into memory it then runs; valgrind must notice the changes.
    '--smc-check=all-non-file',
    `--callgrind-out-file=${outFile}`,
    process.execPath,
    '--import',
    'tsx',
    SERVER_SCRIPT,
    '--target',
    target,
    '--callgrind',
  ];
  const server = spawn(command[0], command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TESSERA_ADMIN_PASSWORD: adminPassword } });
  let stderr = '';
  server.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
  const timeout = setTimeout(() => {
    log(`the ${target} run took more than ${RUN_TIMEOUT_MS / 60_000} minutes; stopping valgrind (pid ${server.pid})`);
    server.kill('SIGTERM');
  }, RUN_TIMEOUT_MS);

  const lines = createInterface({ input: server.stdout })[Symbol.asyncIterator]();
  const nextLine = async (expected: string): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error(`the ${target} server exited while ${expected} was expected; its stderr:\n${stderr.slice(-3000)}`);
    return line.value;
  };

  try {
    const { url } = JSON.parse(await nextLine('the server URL')) as { url: string };
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let send: () => Promise<{ status: number; body: string }>;

    if (target === 'tessera') {
      const admin = await AdminSession.signIn(url, adminPassword);
      const account = await createServiceAccount(admin);
      const headers = { 'content-type': FORM_CONTENT_TYPE, authorization: basicAuthorization(account.clientId, account.clientSecret) };
      const body = 'grant_type=client_credentials';
      await verifyTokenRequest(url, account, headers, body, 'client_secret_basic');
      send = () => post(agent, new URL('/oauth/token', url), headers, body);
    } else {
      const headers = { 'content-type': FORM_CONTENT_TYPE, authorization: basicAuthorization('bare-client', 'bare-secret') };
      send = () => post(agent, new URL('/oauth/token', url), headers, 'grant_type=client_credentials');
    }

    const warmupStarted = performance.now();
    await sendRequests(warmup, send);
    log(`${target}: ${warmup} warm-up requests in ${((performance.now() - warmupStarted) / 1000).toFixed(1)} s`);

    server.stdin.write('on\n');
    if ((await nextLine('on')) !== 'on') throw new Error(`the ${target} server did not confirm that instrumentation is on`);
    const measuredStarted = performance.now();
    await sendRequests(measured, send);
    log(`${target}: ${measured} measured requests in ${((performance.now() - measuredStarted) / 1000).toFixed(1)} s`);
    server.stdin.write('off\n');
    if ((await nextLine('off')) !== 'off') throw new Error(`the ${target} server did not confirm that instrumentation is off`);

    agent.destroy();
    server.stdin.end('exit\n');
    const code = await exited;
    if (code !== 0) throw new Error(`the ${target} server exited with code ${code}; its stderr:\n${stderr.slice(-3000)}`);
  } catch (error) {
    server.kill('SIGTERM');
    await exited;
    throw error;
  } finally {
    clearTimeout(timeout);
  }
  return readInstructionCounts(outFile);
}

interface TargetResult {
  target: TargetName;
  baseline: InstructionCounts;
  measured: InstructionCounts;
}

const options = exitOnUsageError(parseOptions);
const directory = mkdtempSync(join(tmpdir(), 'tessera-callgrind-'));
try {
  const results: TargetResult[] = [];
  for (const target of options.targets) {
    const started = performance.now();
    log(`${target}: run with 0 measured requests`);
    const baseline = await countInstructions(target, options.warmup, 0, directory);
    log(`${target}: run with ${options.requests} measured requests`);
    const measured = await countInstructions(target, options.warmup, options.requests, directory);
    results.push({ target, baseline, measured });
    log(`${target}: done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }

  console.log('### Instructions per token request (callgrind)\n');
  console.log(`Hardware: ${describeHardware()}, ${spawnSync('valgrind', ['--version'], { encoding: 'utf8' }).stdout.trim()}. ${describeCode()}`);
  console.log(`Each target: ${options.warmup} warm-up requests with instrumentation off, then 0 or ${options.requests} requests counted, one at a time on one keep-alive connection, client outside valgrind.\n`);
  const perRequest = (row: TargetResult, thread: keyof InstructionCounts) => (row.measured[thread] - row.baseline[thread]) / options.requests;
  const describeTarget = (target: TargetName) => (target === 'tessera' ? 'Tessera, SQLite, POST /oauth/token (client_secret_basic)' : 'bare node:http, same request');
  console.log(
    markdownTable(
      [
        { header: 'server', numeric: false, value: (row: TargetResult) => describeTarget(row.target) },
        { header: 'Ir per request, all threads', numeric: true, value: (row: TargetResult) => formatRate(perRequest(row, 'all')) },
        { header: 'Ir per request, main thread', numeric: true, value: (row: TargetResult) => formatRate(perRequest(row, 'mainThread')) },
        { header: 'all threads, 0 requests', numeric: true, value: (row: TargetResult) => formatRate(row.baseline.all) },
        { header: `all threads, ${options.requests} requests`, numeric: true, value: (row: TargetResult) => formatRate(row.measured.all) },
        { header: 'main thread, 0 requests', numeric: true, value: (row: TargetResult) => formatRate(row.baseline.mainThread) },
        { header: `main thread, ${options.requests} requests`, numeric: true, value: (row: TargetResult) => formatRate(row.measured.mainThread) },
      ],
      results,
    ),
  );
  const tessera = results.find((row) => row.target === 'tessera');
  const bare = results.find((row) => row.target === 'bare');
  if (tessera && bare) {
    console.log(`\nTessera minus bare node:http: ${formatRate(perRequest(tessera, 'all') - perRequest(bare, 'all'))} instructions per request on all threads, ${formatRate(perRequest(tessera, 'mainThread') - perRequest(bare, 'mainThread'))} on the main thread.`);
  }
} finally {
  if (options.keep) log(`callgrind output files kept in ${directory}; read one with callgrind_annotate FILE`);
  else rmSync(directory, { recursive: true, force: true });
}
