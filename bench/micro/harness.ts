/**
 * Shared parts of the micro-benchmarks in bench/micro/: the command-line options, the timing
 * loop, the hardware line and the Markdown table. Every case runs for a fixed time per round.
 * The cases take turns round by round, so that a burst of load from another program on the
 * machine hits all of them, and the report gives the median of the rounds.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { decodeJwt } from 'jose';
import { type CreatedAccount, type TestServer, createAccount, ensureInstance, requestToken, startTestServer } from '../../packages/server/test/support/server.js';
import { exitOnUsageError, parseCommandLine, UsageError } from '../command-line.js';
import { describeCode, formatRate, markdownTable, median } from '../report.js';

export interface MicroOptions {
  /** Seconds each case runs per round. */
  seconds: number;
  rounds: number;
}

/** Upper bound of `seconds × rounds × cases`, so that a mistyped option cannot run for hours. */
const MAX_TOTAL_SECONDS = 300;

/**
 * Reads `--seconds` and `--rounds` plus any extra string options of one script, and rejects
 * values that are not positive numbers.
 */
export function parseMicroOptions<Extra extends Record<string, string>>(defaults: { seconds: number; rounds: number }, extra: Extra = {} as Extra): MicroOptions & { extra: Extra } {
  return exitOnUsageError(() => {
    const extraOptions = Object.fromEntries(Object.entries(extra).map(([name, value]) => [name, { type: 'string' as const, default: value }]));
    const { values } = parseCommandLine({
      options: {
        seconds: { type: 'string', default: String(defaults.seconds) },
        rounds: { type: 'string', default: String(defaults.rounds) },
        ...extraOptions,
      },
    });
    const seconds = Number(values.seconds);
    const rounds = Number(values.rounds);
    if (!(seconds > 0 && seconds <= 30)) throw new UsageError(`--seconds must be a number of seconds above 0 and at most 30, got ${String(values.seconds)}`);
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > 15) throw new UsageError(`--rounds must be an integer from 1 to 15, got ${String(values.rounds)}`);

    const extraValues = Object.fromEntries(Object.keys(extra).map((name) => [name, String(values[name as keyof typeof values])])) as Extra;
    return { seconds, rounds, extra: extraValues };
  });
}

/** Checks that the cases fit in MAX_TOTAL_SECONDS before any of them runs. */
export function checkTotalTime(options: MicroOptions, caseCount: number): void {
  const total = options.seconds * options.rounds * caseCount;
  if (total > MAX_TOTAL_SECONDS) {
    throw new UsageError(`${caseCount} cases × ${options.rounds} rounds × ${options.seconds} s is ${total} s, more than ${MAX_TOTAL_SECONDS} s; lower --seconds or --rounds`);
  }
}

/** One operation of a case. A case returns a promise only when the operation is asynchronous. */
export type Operation = () => unknown;

export interface MicroCase {
  name: string;
  /** Purpose of the case or what it leaves out, printed under the table. */
  note?: string;
  run: Operation;
}

export interface CaseResult {
  name: string;
  note?: string;
  /** Operations per second of each round. */
  rates: number[];
  /** CPU time of the whole process per operation in each round, in microseconds. */
  cpuMicroseconds: number[];
}

/** Result of one timed run of a case. */
export interface Rate {
  operationsPerSecond: number;
  /**
   * User plus system CPU time of the process per operation, in microseconds. It includes
   * other threads, such as the thread pool that runs scrypt. Unlike the wall-clock rate it
   * barely changes when other programs compete for the CPU.
   */
  cpuMicroseconds: number;
}

/**
 * Runs `operation` back to back for `seconds` and returns its rate. The clock is read every
 * `batch` operations, and the batch grows until one takes about a millisecond, so that
 * reading the clock costs little next to fast operations.
 */
export async function measureRate(seconds: number, operation: Operation): Promise<Rate> {
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  let count = 0;
  let batch = 1;

  while (performance.now() < deadline) {
    const batchStarted = performance.now();
    for (let i = 0; i < batch; i += 1) {
      const result = operation();
      if (result instanceof Promise) await result;
    }
    count += batch;
    if (performance.now() - batchStarted < 1 && batch < 1 << 16) batch *= 2;
  }

  const cpu = process.cpuUsage(cpuStarted);
  return { operationsPerSecond: count / ((performance.now() - started) / 1000), cpuMicroseconds: (cpu.user + cpu.system) / count };
}

export const log = (message: string) => process.stderr.write(`${message}\n`);

/** Runs every case once untimed, then `rounds` timed rounds in turn, and returns the rates. */
export async function runCases(cases: MicroCase[], options: MicroOptions): Promise<CaseResult[]> {
  for (const microCase of cases) {
    const result = microCase.run();
    if (result instanceof Promise) await result;
  }

  const results: CaseResult[] = cases.map((microCase) => ({ name: microCase.name, note: microCase.note, rates: [], cpuMicroseconds: [] }));
  for (let round = 1; round <= options.rounds; round += 1) {
    for (const [index, microCase] of cases.entries()) {
      // A short untimed run first, so that the JIT compiles this case's code before the clock starts.
      await measureRate(Math.min(0.2, options.seconds / 5), microCase.run);
      const rate = await measureRate(options.seconds, microCase.run);
      results[index].rates.push(rate.operationsPerSecond);
      results[index].cpuMicroseconds.push(rate.cpuMicroseconds);
      log(`round ${round}/${options.rounds}: ${microCase.name}: ${formatOpsPerSecond(rate.operationsPerSecond)} per second, ${formatMicroseconds(rate.cpuMicroseconds)} µs of CPU each`);
    }
  }
  return results;
}

/** Formats operations per second, with decimals below 100 so that slow operations keep their precision. */
export function formatOpsPerSecond(ratePerSecond: number): string {
  return ratePerSecond < 100 ? ratePerSecond.toPrecision(3) : formatRate(ratePerSecond);
}

/** Formats microseconds per operation: three significant digits below 1,000 µs, whole microseconds above. */
export function formatMicroseconds(microseconds: number): string {
  return microseconds < 1000 ? microseconds.toPrecision(3) : formatRate(microseconds);
}

/** One-minute load average when this module was loaded, which is when the script started. */
const loadAtStart = loadavg()[0];

/**
 * Describes the machine's one-minute load average at the start and now. The machine is busy
 * with other programs when it exceeds the core count, and the figures are then low.
 */
export function describeLoad(): string {
  return `Load average (1 min, ${cpus().length} CPUs): ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end.`;
}

/** Describes the CPU, the core count, the memory and the Node.js version, for the report header. */
export function describeHardware(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const memoryGiB = (totalmem() / 2 ** 30).toFixed(0);
  return `${cpus().length} × ${model}, ${memoryGiB} GiB, Node.js ${process.version} (${process.platform} ${process.arch})`;
}

/** Prints the report: a title, the hardware, a table of medians with every round, and the notes. */
export function printReport(title: string, options: MicroOptions, results: CaseResult[], description: string[] = []): void {
  console.log(`### ${title}\n`);
  console.log(`Hardware: ${describeHardware()}. ${describeCode()}`);
  console.log(`Each case: ${options.rounds} rounds of ${options.seconds} s, one operation at a time; the table gives the median round. CPU µs/op is the process's user plus system time per operation, all threads, which varies less than the wall-clock figures on a busy machine. ${describeLoad()}\n`);
  for (const line of description) console.log(`${line}\n`);

  const table = markdownTable(
    [
      { header: 'case', numeric: false, value: (row: CaseResult) => row.name },
      { header: 'ops/s (median)', numeric: true, value: (row: CaseResult) => formatOpsPerSecond(median(row.rates)) },
      { header: 'µs/op (median)', numeric: true, value: (row: CaseResult) => formatMicroseconds(1_000_000 / median(row.rates)) },
      { header: 'CPU µs/op (median)', numeric: true, value: (row: CaseResult) => formatMicroseconds(median(row.cpuMicroseconds)) },
      { header: 'rounds (ops/s)', numeric: false, value: (row: CaseResult) => row.rates.map(formatOpsPerSecond).join(', ') },
    ],
    results,
  );
  console.log(table);

  const notes = results.filter((row) => row.note);
  if (notes.length > 0) {
    console.log('');
    for (const row of notes) console.log(`- ${row.name}: ${row.note}`);
  }
}

/** A Tessera server on 127.0.0.1 with one account, and a real access token of that account. */
export interface TokenFixture {
  server: TestServer;
  audience: string;
  account: CreatedAccount;
  /** An access token from POST /oauth/token. */
  token: string;
  /** The claims of `token`. */
  claims: Record<string, unknown>;
}

/**
 * Starts a Tessera server in this process with a fresh SQLite file, creates a `jira` instance
 * and an account with `WRITE` on it, and requests one token over HTTP. The caller closes
 * `server`, which removes its temporary folder.
 */
export async function startTokenFixture(): Promise<TokenFixture> {
  const audience = 'https://jira.example.com';
  const server = await startTestServer();
  try {
    await ensureInstance(server, 'jira', 'jira', audience);
    const account = await createAccount(server, { name: 'micro-bench', access: [{ instance: 'jira', scopes: ['WRITE'], resources: { project: ['OPS', 'WEB'] } }] });
    const issued = await requestToken(server, account);
    if (issued.status !== 200) throw new Error(`token request failed: ${issued.status} ${issued.text}`);

    const token = issued.body.access_token as string;
    return { server, audience, account, token, claims: decodeJwt(token) };
  } catch (error) {
    await server.close();
    throw error;
  }
}
