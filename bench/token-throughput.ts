/**
 * Measures the throughput of Tessera's POST /oauth/token and compares it with a bare
 * node:http server.
 *
 *   node --import tsx bench/token-throughput.ts [--runs 5] [--duration 10] [--warmup 2] [--connections 50]
 *
 * Tessera (bench/tessera-server.ts) and the bare server (bench/bare-http.ts) run as child
 * processes bound to 127.0.0.1. When taskset exists and two CPUs are available, both servers
 * are pinned to CPU 0 and this load generator to CPU 1. Each run starts with a warm-up whose
 * results are discarded except for failed responses, and the targets take turns run by run
 * so that drift in the machine affects all of them alike. Server CPU shares come from /proc,
 * so they are "n/a" outside Linux.
 *
 * Progress goes to stderr and the Markdown report to stdout. The exit status is 1 when any
 * response was not 2xx, any socket failed or the audit check failed.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRemoteJWKSet, jwtVerify } from 'jose';

// autocannon 8 ships no type declarations, so the parts used here are declared locally.
interface AutocannonResult {
  /** Percentiles in milliseconds. */
  latency: { p50: number; p99: number };
  /** Elapsed time of the run, in seconds. */
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number }>;
}

interface AutocannonOptions {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  connections: number;
  /** Seconds. */
  duration: number;
  excludeErrorStats: boolean;
}

const requireCommonJs = createRequire(import.meta.url);
const autocannon = requireCommonJs('autocannon') as (options: AutocannonOptions) => Promise<AutocannonResult>;
const autocannonVersion = (requireCommonJs('autocannon/package.json') as { version: string }).version;

const SERVER_CPU = '0';
const LOAD_GENERATOR_CPU = '1';
const SERVER_START_TIMEOUT_MS = 60_000;
const SERVER_STOP_TIMEOUT_MS = 10_000;
/** Maximum seconds of load that the options may add up to, which keeps the benchmark under 10 minutes. */
const MAX_LOAD_SECONDS = 540;
const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

interface BenchOptions {
  runs: number;
  /** Seconds per measured run. */
  duration: number;
  /** Seconds of warm-up before each measured run, or 0 for no warm-up. */
  warmup: number;
  connections: number;
}

interface Target {
  name: string;
  /** True for the bare server that the Tessera targets are compared with. */
  baseline: boolean;
  url: string;
  headers: Record<string, string>;
  body: string;
  serverPid: number;
}

interface RunResult {
  target: string;
  run: number;
  successPerSecond: number;
  /** Latency percentiles of 2xx responses in whole milliseconds, as autocannon records them, or null when no response was 2xx. */
  latencyP50: number | null;
  latencyP99: number | null;
  /** Responses counted by autocannon, of any status, during the measured run. */
  responses: number;
  non2xx: number;
  /** Status codes other than 2xx and their counts, e.g. "429×3". */
  non2xxCodes: string;
  errors: number;
  timeouts: number;
  warmupResponses: number;
  warmupNon2xx: number;
  /** CPU time of the server process during the measured part as a share of one CPU, or null where /proc or getconf is missing. */
  serverCpu: number | null;
  /** CPU time of this load generator during the measured part, as a share of one CPU. */
  loadGeneratorCpu: number;
}

function parseIntegerOption(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`--${name} must be a whole number from ${min} to ${max}; got "${raw}".`);
  }
  return value;
}

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string', default: '5' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
    },
    strict: true,
  });

  const options: BenchOptions = {
    runs: parseIntegerOption('runs', values.runs, 1, 20),
    duration: parseIntegerOption('duration', values.duration, 1, 60),
    warmup: parseIntegerOption('warmup', values.warmup, 0, 30),
    connections: parseIntegerOption('connections', values.connections, 1, 1000),
  };

  const loadSeconds = 3 * options.runs * (options.duration + options.warmup);
  if (loadSeconds > MAX_LOAD_SECONDS) {
    throw new Error(`3 targets × ${options.runs} runs × (${options.duration} s + ${options.warmup} s warm-up) is ${loadSeconds} s of load, above the maximum of ${MAX_LOAD_SECONDS} s. Lower --runs, --duration or --warmup.`);
  }
  return options;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
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

/** Sends SIGTERM to a child server this script started and waits for it to exit, with SIGKILL as the last resort. */
async function stopChildServer(server: ChildServer | undefined, name: string): Promise<void> {
  const child = server?.process;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    log(`${name} (pid ${child.pid}) did not exit within ${SERVER_STOP_TIMEOUT_MS / 1000} s of SIGTERM; sending SIGKILL`);
    child.kill('SIGKILL');
  }, SERVER_STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

interface JsonResponse {
  status: number;
  body: any;
  text: string;
  setCookie: string | null;
}

async function requestJson(url: string, init: RequestInit): Promise<JsonResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text, setCookie: response.headers.get('set-cookie') };
}

function expectStatus(response: JsonResponse, expected: number, action: string): void {
  if (response.status !== expected) {
    throw new Error(`${action} failed: expected HTTP ${expected}, got ${response.status} ${response.text.slice(0, 500)}`);
  }
}

/** An admin API client with the session cookie and CSRF token of one sign-in. */
class AdminSession {
  private constructor(
    private readonly baseUrl: string,
    private readonly cookie: string,
    private readonly csrfToken: string,
  ) {}

  static async signIn(baseUrl: string, password: string): Promise<AdminSession> {
    const response = await requestJson(`${baseUrl}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expectStatus(response, 200, 'Admin sign-in');
    const cookie = (response.setCookie ?? '').split(';')[0];
    if (!cookie || typeof response.body?.csrfToken !== 'string') {
      throw new Error('Admin sign-in returned 200 without a session cookie or a csrfToken.');
    }
    return new AdminSession(baseUrl, cookie, response.body.csrfToken);
  }

  request(method: string, path: string, body?: unknown): Promise<JsonResponse> {
    return requestJson(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers: {
        cookie: this.cookie,
        'x-csrf-token': this.csrfToken,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /** Returns the sequence number of the newest audit event, which equals the number of events in the append-only log. */
  async latestAuditSeq(): Promise<number> {
    const response = await this.request('GET', '/audit-events?limit=1');
    expectStatus(response, 200, 'Reading the newest audit event');
    return Number(response.body.items[0]?.id ?? 0);
  }
}

interface ServiceAccount {
  id: string;
  clientId: string;
  clientSecret: string;
  audience: string;
}

async function createServiceAccount(admin: AdminSession): Promise<ServiceAccount> {
  const audience = 'https://jira.bench.example';
  const instance = await admin.request('POST', '/instances', { slug: 'jira-bench', name: 'Jira (benchmark)', profile: 'jira', audience });
  expectStatus(instance, 201, 'Creating the instance');

  const account = await admin.request('POST', '/service-accounts', { name: 'token-benchmark', access: [{ instance: 'jira-bench', scopes: ['READ'] }] });
  expectStatus(account, 201, 'Creating the service account');
  return { id: account.body.id, clientId: account.body.clientId, clientSecret: account.body.credential.clientSecret, audience };
}

function basicAuthorization(clientId: string, secret: string): string {
  // RFC 6749 §2.3.1: the id and secret are form-urlencoded before Base64.
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/**
 * Requests one token with the given headers and body and verifies it with jose against the
 * server's JWKS: signature, typ at+jwt, issuer, audience and subject.
 */
async function verifyTokenRequest(baseUrl: string, account: ServiceAccount, headers: Record<string, string>, body: string, label: string): Promise<void> {
  const response = await requestJson(`${baseUrl}/oauth/token`, { method: 'POST', headers, body });
  expectStatus(response, 200, `The token request with ${label}`);
  if (response.body?.token_type !== 'Bearer' || typeof response.body?.access_token !== 'string') {
    throw new Error(`The token response with ${label} has no Bearer access_token: ${response.text.slice(0, 500)}`);
  }

  const jwks = createRemoteJWKSet(new URL(`${baseUrl}/oauth/jwks`));
  const { payload } = await jwtVerify(response.body.access_token, jwks, { typ: 'at+jwt', issuer: baseUrl, audience: account.audience });
  if (payload.sub !== account.id) {
    throw new Error(`The token from the request with ${label} has sub "${payload.sub}", expected the account id "${account.id}".`);
  }
}

function describeNon2xx(result: AutocannonResult): string {
  return Object.entries(result.statusCodeStats)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, { count }]) => `${code}×${count}`)
    .join(', ');
}

function runAutocannon(target: Target, options: BenchOptions, seconds: number): Promise<AutocannonResult> {
  return autocannon({
    url: target.url,
    method: 'POST',
    headers: target.headers,
    body: target.body,
    connections: options.connections,
    duration: seconds,
    // Latency of 2xx responses only, so that fast refusals cannot lower the percentiles.
    excludeErrorStats: true,
  });
}

function countResponses(result: AutocannonResult): number {
  return Object.values(result.statusCodeStats).reduce((sum, { count }) => sum + count, 0);
}

/** Returns USER_HZ, the unit of CPU times in /proc/PID/stat, or null when `getconf` is missing. */
function readClockTicksPerSecond(): number | null {
  const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(result.stdout?.trim());
  return result.status === 0 && Number.isInteger(ticks) && ticks > 0 ? ticks : null;
}

const clockTicksPerSecond = readClockTicksPerSecond();

/** Returns the user plus system CPU time of a process in seconds, or null where /proc or getconf is missing. */
function processCpuSeconds(pid: number): number | null {
  if (clockTicksPerSecond === null) return null;
  try {
    // Fields 14 and 15 of /proc/PID/stat are utime and stime in clock ticks, counted from
    // after the command name, which is in brackets and may contain spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
  } catch {
    return null;
  }
}

async function measure(target: Target, run: number, options: BenchOptions): Promise<RunResult> {
  const warmup = options.warmup > 0 ? await runAutocannon(target, options, options.warmup) : undefined;

  const serverCpuBefore = processCpuSeconds(target.serverPid);
  const ownCpuBefore = process.cpuUsage();
  const startedAt = process.hrtime.bigint();
  const result = await runAutocannon(target, options, options.duration);
  const elapsedSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  const ownCpu = process.cpuUsage(ownCpuBefore);
  const serverCpuAfter = processCpuSeconds(target.serverPid);

  return {
    target: target.name,
    run,
    // Only successful responses count as throughput, and failed ones are reported separately.
    successPerSecond: result['2xx'] / result.duration,
    latencyP50: result['2xx'] > 0 ? result.latency.p50 : null,
    latencyP99: result['2xx'] > 0 ? result.latency.p99 : null,
    responses: countResponses(result),
    non2xx: result.non2xx,
    non2xxCodes: describeNon2xx(result),
    errors: result.errors,
    timeouts: result.timeouts,
    warmupResponses: warmup ? countResponses(warmup) : 0,
    warmupNon2xx: warmup?.non2xx ?? 0,
    serverCpu: serverCpuBefore === null || serverCpuAfter === null ? null : (serverCpuAfter - serverCpuBefore) / elapsedSeconds,
    loadGeneratorCpu: (ownCpu.user + ownCpu.system) / 1e6 / elapsedSeconds,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function formatRate(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Returns the median of the values that are not null, or null when every value is null. */
function medianOfKnown(values: (number | null)[]): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length > 0 ? median(known) : null;
}

function formatLatency(milliseconds: number | null): string {
  return milliseconds === null ? 'n/a' : String(milliseconds);
}

function formatCpu(share: number | null): string {
  return share === null ? 'n/a' : `${Math.round(share * 100)} %`;
}

function runTable(results: RunResult[]): string {
  const lines = [
    '| Target | Run | 2xx responses/s | p50 latency (ms) | p99 latency (ms) | non-2xx | socket errors | timeouts | server CPU | load generator CPU | status |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const result of results) {
    const failed = result.non2xx > 0 || result.errors > 0 || result.warmupNon2xx > 0;
    const status = failed ? `FAILED RESPONSES${result.non2xxCodes ? `: ${result.non2xxCodes}` : ''}${result.warmupNon2xx > 0 ? `, ${result.warmupNon2xx} non-2xx in warm-up` : ''}` : 'ok';
    lines.push(`| ${result.target} | ${result.run} | ${formatRate(result.successPerSecond)} | ${formatLatency(result.latencyP50)} | ${formatLatency(result.latencyP99)} | ${result.non2xx} | ${result.errors} | ${result.timeouts} | ${formatCpu(result.serverCpu)} | ${formatCpu(result.loadGeneratorCpu)} | ${status} |`);
  }
  return lines.join('\n');
}

function summaryTable(targets: Target[], results: RunResult[]): string {
  const baseline = targets.find((target) => target.baseline)!;
  const baselineRate = median(results.filter((result) => result.target === baseline.name).map((result) => result.successPerSecond));

  const lines = [
    '| Target | Runs | Median 2xx responses/s | Median p50 latency (ms) | Median p99 latency (ms) | non-2xx (all runs) | Runs with non-2xx or errors | Median server CPU | Median load generator CPU | Ratio to bare node:http |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const target of targets) {
    const own = results.filter((result) => result.target === target.name);
    const rate = median(own.map((result) => result.successPerSecond));
    const non2xx = own.reduce((sum, result) => sum + result.non2xx, 0);
    const failedRuns = own.filter((result) => result.non2xx > 0 || result.errors > 0 || result.warmupNon2xx > 0).length;
    const ratio = target.baseline ? '1 (baseline)' : (rate / baselineRate).toFixed(3);
    const serverCpu = medianOfKnown(own.map((result) => result.serverCpu));
    const loadGeneratorCpu = median(own.map((result) => result.loadGeneratorCpu));
    lines.push(
      `| ${target.name} | ${own.length} | ${formatRate(rate)} | ${formatLatency(medianOfKnown(own.map((result) => result.latencyP50)))} | ${formatLatency(medianOfKnown(own.map((result) => result.latencyP99)))} | ${non2xx} | ${failedRuns} | ${formatCpu(serverCpu)} | ${formatCpu(loadGeneratorCpu)} | ${ratio} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const cpusBeforePinning = availableParallelism();
  const pinning = pinLoadGenerator();
  log(`pinning: ${pinning.description}`);

  const adminPassword = randomBytes(18).toString('base64url');
  let tessera: ChildServer | undefined;
  let bare: ChildServer | undefined;
  try {
    tessera = await startChildServer('./tessera-server.ts', pinning.pinned, { TESSERA_ADMIN_PASSWORD: adminPassword });
    bare = await startChildServer('./bare-http.ts', pinning.pinned);
    log(`Tessera at ${tessera.url} (pid ${tessera.process.pid}), bare node:http at ${bare.url} (pid ${bare.process.pid})`);

    const admin = await AdminSession.signIn(tessera.url, adminPassword);
    const account = await createServiceAccount(admin);

    const basicHeaders = { 'content-type': FORM_CONTENT_TYPE, authorization: basicAuthorization(account.clientId, account.clientSecret) };
    const basicBody = 'grant_type=client_credentials';
    const postHeaders = { 'content-type': FORM_CONTENT_TYPE };
    const postBody = new URLSearchParams({ grant_type: 'client_credentials', client_id: account.clientId, client_secret: account.clientSecret }).toString();

    await verifyTokenRequest(tessera.url, account, basicHeaders, basicBody, 'client_secret_basic');
    await verifyTokenRequest(tessera.url, account, postHeaders, postBody, 'client_secret_post');
    log('one token per client authentication method verified with jose against /oauth/jwks');

    const targets: Target[] = [
      { name: 'Tessera, client_secret_basic', baseline: false, url: `${tessera.url}/oauth/token`, headers: basicHeaders, body: basicBody, serverPid: tessera.process.pid! },
      { name: 'Tessera, client_secret_post', baseline: false, url: `${tessera.url}/oauth/token`, headers: postHeaders, body: postBody, serverPid: tessera.process.pid! },
      // The same request as the Basic target, so that both parse requests of the same size.
      { name: 'bare node:http', baseline: true, url: `${bare.url}/oauth/token`, headers: basicHeaders, body: basicBody, serverPid: bare.process.pid! },
    ];

    const auditSeqBefore = await admin.latestAuditSeq();
    const results: RunResult[] = [];
    for (let run = 1; run <= options.runs; run += 1) {
      for (const target of targets) {
        log(`run ${run}/${options.runs}: ${target.name} (${options.warmup} s warm-up, ${options.duration} s measured, ${options.connections} connections)`);
        const result = await measure(target, run, options);
        log(`  ${formatRate(result.successPerSecond)} 2xx/s, p50 ${formatLatency(result.latencyP50)} ms, p99 ${formatLatency(result.latencyP99)} ms, non-2xx ${result.non2xx}, errors ${result.errors}`);
        results.push(result);
      }
    }

    // Requests still in flight when autocannon stops are completed by the server but not
    // counted. Wait 1 s for their audit events to commit before the audit log is read.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const auditEventsAdded = (await admin.latestAuditSeq()) - auditSeqBefore;
    const tesseraResults = results.filter((result) => !targets.find((target) => target.name === result.target)!.baseline);
    const tokenResponses = tesseraResults.reduce((sum, result) => sum + result.responses + result.warmupResponses, 0);
    // Each autocannon run against Tessera (warm-up and measured) can leave one request per connection uncounted.
    const autocannonRunsOnTessera = tesseraResults.length * (options.warmup > 0 ? 2 : 1);
    const maxUncounted = autocannonRunsOnTessera * options.connections;

    const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
    const report = [
      `Node.js ${process.version}, autocannon ${autocannonVersion}, ${cpuModel}, ${cpusBeforePinning} CPUs available before pinning.`,
      `Pinning: ${pinning.description}.`,
      `Each run: ${options.warmup} s warm-up, then ${options.duration} s measured, ${options.connections} connections, HTTP/1.1 keep-alive, no pipelining. Medians over ${options.runs} runs.`,
      '',
      summaryTable(targets, results),
      '',
      '<details><summary>Every run</summary>',
      '',
      runTable(results),
      '',
      '</details>',
      '',
      `Audit check: ${auditEventsAdded} audit events were added during the load and autocannon counted ${tokenResponses} token responses (warm-ups included). ` +
        `The difference is ${auditEventsAdded - tokenResponses}. Requests still in flight when an autocannon run stops are completed by the server but not counted, ` +
        `which is at most ${options.connections} connections × ${autocannonRunsOnTessera} runs = ${maxUncounted}.`,
    ].join('\n');
    process.stdout.write(`${report}\n`);

    await verifyTokenRequest(tessera.url, account, basicHeaders, basicBody, 'client_secret_basic after the load');
    log('a token requested after the load verified with jose');

    if (auditEventsAdded < tokenResponses) {
      throw new Error(`Fewer audit events (${auditEventsAdded}) than token responses (${tokenResponses}): some token response was sent without its audit event.`);
    }
    if (auditEventsAdded - tokenResponses > maxUncounted) {
      process.exitCode = 1;
      log(`${auditEventsAdded - tokenResponses} more audit events than counted token responses, above the ${maxUncounted} that uncounted in-flight requests explain`);
    }
    if (results.some((result) => result.non2xx > 0 || result.errors > 0 || result.warmupNon2xx > 0)) {
      process.exitCode = 1;
      log('some runs had non-2xx responses or socket errors; see the status column');
    }
  } finally {
    await stopChildServer(tessera, 'the Tessera server');
    await stopChildServer(bare, 'the bare HTTP server');
  }
}

await main();
