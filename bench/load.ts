/**
 * The load side of the benchmarks: options, autocannon runs and the CPU sample taken
 * around each measured run.
 */
import { createRequire } from 'node:module';
import { UsageError } from './command-line.js';
import { type CpuGroup, type CpuSample, CpuSampler } from './cpu.js';
import type { AuditCommitProbe } from './postgres.js';
import { CheckTally, type ResponseCheck } from './response-checks.js';

// autocannon 8 ships no type declarations, so the parts used here are declared locally.
export interface AutocannonResult {
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

interface AutocannonRequest {
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Called with every response's status and whole body. */
  onResponse?: (status: number, body: string) => void;
}

interface AutocannonOptions {
  url: string;
  requests: AutocannonRequest[];
  connections: number;
  /** Seconds. */
  duration: number;
  excludeErrorStats: boolean;
}

const requireCommonJs = createRequire(import.meta.url);
export const autocannon = requireCommonJs('autocannon') as (options: AutocannonOptions) => Promise<AutocannonResult>;
export const autocannonVersion = (requireCommonJs('autocannon/package.json') as { version: string }).version;

/** Maximum seconds of load that the options may add up to, which keeps a benchmark under 10 minutes. */
const MAX_LOAD_SECONDS = 540;

export interface LoadOptions {
  runs: number;
  /** Seconds per measured run. */
  duration: number;
  /** Seconds of warm-up before each measured run, or 0 for no warm-up. */
  warmup: number;
  connections: number;
  /** Maximum seconds to wait before each run for the machine to become idle, or 0 for no wait. */
  idleWait: number;
}

/** Option definitions for node:util parseArgs, shared by the benchmark scripts. */
export const LOAD_OPTION_DEFINITIONS = {
  runs: { type: 'string', default: '5' },
  duration: { type: 'string', default: '10' },
  warmup: { type: 'string', default: '2' },
  connections: { type: 'string', default: '50' },
  'idle-wait': { type: 'string', default: '0' },
} as const;

export function parseIntegerOption(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}; got "${raw}".`);
  }
  return value;
}

/** Parses the load options and rejects settings that add up to more than MAX_LOAD_SECONDS for the given number of targets. */
export function parseLoadOptions(values: { runs: string; duration: string; warmup: string; connections: string; 'idle-wait': string }, targetCount: number): LoadOptions {
  const options: LoadOptions = {
    runs: parseIntegerOption('runs', values.runs, 1, 20),
    duration: parseIntegerOption('duration', values.duration, 1, 60),
    warmup: parseIntegerOption('warmup', values.warmup, 0, 30),
    connections: parseIntegerOption('connections', values.connections, 1, 1000),
    idleWait: parseIntegerOption('idle-wait', values['idle-wait'], 0, 60),
  };

  const loadSeconds = targetCount * options.runs * (options.duration + options.warmup + options.idleWait);
  if (loadSeconds > MAX_LOAD_SECONDS) {
    throw new UsageError(
      `${targetCount} targets × ${options.runs} runs × (${options.duration} s + ${options.warmup} s warm-up + ${options.idleWait} s idle wait) is ${loadSeconds} s, above the maximum of ${MAX_LOAD_SECONDS} s. Lower --runs, --duration, --warmup or --idle-wait.`,
    );
  }
  return options;
}

/**
 * Rejects a URL whose host is not a loopback address, because the benchmarks send load only
 * to servers on this machine.
 */
export function requireLoopbackUrl(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--${name} must be a URL such as postgres://postgres@127.0.0.1:5432/postgres; got "${raw}".`);
  }
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new UsageError(`--${name} must name a server on 127.0.0.1, localhost or [::1]; got host "${url.hostname}". The benchmarks send load only to loopback.`);
  }
  return url;
}

export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** One request that autocannon repeats, and the processes whose CPU time is sampled while it runs. */
export interface LoadTarget {
  name: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  cpuGroups: CpuGroup[];
  /** Reads the audit log of a PostgreSQL database, to report the events per commit of the measured part. */
  auditProbe?: AuditCommitProbe;
  /** Checks every response. With a check, throughput counts only the responses that passed it. */
  check?: ResponseCheck;
}

export interface LoadResult {
  target: string;
  run: number;
  /** 2xx responses per second, or with a response check, the responses per second that passed it. */
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
  /** Responses of the measured part that the target's check saw, or null for a target without a check. */
  checkedResponses: number | null;
  /** Responses that failed the check, in the measured part and in the warm-up. */
  failedChecks: number;
  warmupFailedChecks: number;
  /** The first failed check's reason, or null. */
  checkFailure: string | null;
  /** CPU time during the measured part, as shares of one CPU. */
  cpu: CpuSample;
  /** Audit events per database commit during the measured part, or null without an audit probe. */
  auditEventsPerCommit: number | null;
  /** Whether the machine was idle before the run started, or null when --idle-wait is 0 or /proc is missing. */
  startedIdle: boolean | null;
}

function describeNon2xx(result: AutocannonResult): string {
  return Object.entries(result.statusCodeStats)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, { count }]) => `${code}×${count}`)
    .join(', ');
}

function runAutocannon(target: LoadTarget, options: LoadOptions, seconds: number, tally: CheckTally | null): Promise<AutocannonResult> {
  const check = target.check;
  const request: AutocannonRequest = { method: 'POST', path: new URL(target.url).pathname, headers: target.headers, body: target.body };
  if (check && tally) request.onResponse = (status, body) => check.inspect(status, body, tally);
  return autocannon({
    url: target.url,
    requests: [request],
    connections: options.connections,
    duration: seconds,
    // Latency of 2xx responses only, so that fast refusals cannot lower the percentiles.
    excludeErrorStats: true,
  });
}

function countResponses(result: AutocannonResult): number {
  return Object.values(result.statusCodeStats).reduce((sum, { count }) => sum + count, 0);
}

/** Runs the warm-up, then the measured run with a CPU sample around it. */
export async function measureLoad(target: LoadTarget, run: number, options: LoadOptions): Promise<LoadResult> {
  const startedIdle = options.idleWait > 0 ? await waitForIdleMachine(options.idleWait) : null;
  const warmupTally = target.check ? new CheckTally(false) : null;
  const warmup = options.warmup > 0 ? await runAutocannon(target, options, options.warmup, warmupTally) : undefined;

  const seqBefore = await target.auditProbe?.latestSeq();
  const tally = target.check ? new CheckTally(true) : null;
  const sampler = new CpuSampler(target.cpuGroups);
  sampler.start();
  const result = await runAutocannon(target, options, options.duration, tally);
  const cpu = sampler.stop();
  const seqAfter = await target.auditProbe?.latestSeq();
  const commits = target.auditProbe && seqBefore !== undefined && seqAfter !== undefined ? await target.auditProbe.countCommits(seqBefore, seqAfter) : undefined;

  // Verified after the CPU sample, so that jose's work is not charged to the load generator.
  if (target.check && tally && tally.tokens.length > 0) {
    const tokenCount = tally.tokens.length;
    const verifyStart = Date.now();
    await target.check.verifyKept(tally);
    log(`  verified ${tokenCount} tokens with jose in ${((Date.now() - verifyStart) / 1000).toFixed(1)} s`);
  }
  const counted = tally ? tally.verified : result['2xx'];

  return {
    target: target.name,
    run,
    // Only successful responses count as throughput, and failed ones are reported separately.
    successPerSecond: counted / result.duration,
    latencyP50: result['2xx'] > 0 ? result.latency.p50 : null,
    latencyP99: result['2xx'] > 0 ? result.latency.p99 : null,
    responses: countResponses(result),
    non2xx: result.non2xx,
    non2xxCodes: describeNon2xx(result),
    errors: result.errors,
    timeouts: result.timeouts,
    warmupResponses: warmup ? countResponses(warmup) : 0,
    warmupNon2xx: warmup?.non2xx ?? 0,
    checkedResponses: tally?.checked ?? null,
    failedChecks: tally?.failed ?? 0,
    warmupFailedChecks: warmupTally?.failed ?? 0,
    checkFailure: tally?.firstFailure ?? warmupTally?.firstFailure ?? null,
    cpu,
    auditEventsPerCommit: commits && commits.commits > 0 ? commits.events / commits.commits : null,
    startedIdle,
  };
}

/** Returns one line of progress for stderr. */
export function formatProgress(result: LoadResult): string {
  const latency = result.latencyP50 === null ? 'no 2xx latency' : `p50 ${result.latencyP50} ms, p99 ${result.latencyP99} ms`;
  const rate = result.checkedResponses === null ? '2xx/s' : `checked responses/s (${result.checkedResponses} checked, ${result.failedChecks} failed)`;
  return `${Math.round(result.successPerSecond)} ${rate}, ${latency}, non-2xx ${result.non2xx}, errors ${result.errors}, machine busy ${result.cpu.machineBusy === null ? 'n/a' : `${Math.round(result.cpu.machineBusy * 100)} %`}`;
}

export function hasFailures(result: LoadResult): boolean {
  return result.non2xx > 0 || result.errors > 0 || result.warmupNon2xx > 0 || result.failedChecks > 0 || result.warmupFailedChecks > 0;
}

/** Returns the status column of a per-run table: "ok", or FAILED RESPONSES with the codes and the first failed check. */
export function describeStatus(result: LoadResult): string {
  const busyStart = result.startedIdle === false ? '; started on a busy machine' : '';
  if (!hasFailures(result)) return `ok${busyStart}`;
  const codes = result.non2xxCodes ? `: ${result.non2xxCodes}` : '';
  const warmup = result.warmupNon2xx > 0 ? `, ${result.warmupNon2xx} non-2xx in warm-up` : '';
  const failedChecks = result.failedChecks + result.warmupFailedChecks;
  // A Markdown table cell cannot hold a pipe character or a line break.
  const checks = failedChecks > 0 ? `, ${failedChecks} failed checks, the first: ${result.checkFailure?.replace(/[|\r\n]/g, ' ')}` : '';
  return `FAILED RESPONSES${codes}${warmup}${checks}${busyStart}`;
}

/** The load generator: this process only, not the servers it started. */
export const LOAD_GENERATOR_GROUP: CpuGroup = { name: 'load generator', pids: () => [process.pid], includeDescendants: false };

/** Machine busy share, of all CPUs together, below which a one-second sample counts as idle. */
const IDLE_BUSY_SHARE = 0.15;
const IDLE_SAMPLES_NEEDED = 2;

/**
 * Waits until the machine was idle for IDLE_SAMPLES_NEEDED one-second samples in a row, or
 * until `maxSeconds` pass. Returns whether it became idle, or null where /proc is missing.
 * The benchmark's own servers are idle at this point, so the busy time is other programs'.
 */
async function waitForIdleMachine(maxSeconds: number): Promise<boolean | null> {
  const deadline = Date.now() + maxSeconds * 1000;
  let idleSamples = 0;
  while (Date.now() < deadline) {
    const busy = await sampleIdleMachine(1);
    if (busy === null) return null;
    idleSamples = busy < IDLE_BUSY_SHARE ? idleSamples + 1 : 0;
    if (idleSamples >= IDLE_SAMPLES_NEEDED) return true;
  }
  log(`the machine was still busy after ${maxSeconds} s of --idle-wait; starting the run anyway`);
  return false;
}

/**
 * Returns how busy the machine is with no load running, as a share of one CPU, so that the
 * report shows work that other programs did during the benchmark. Null outside Linux.
 */
export async function sampleIdleMachine(seconds: number): Promise<number | null> {
  const sampler = new CpuSampler([]);
  sampler.start();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return sampler.stop().machineBusy;
}

/** Returns a sentence for the report on --idle-wait, or an empty string when it was 0. */
export function describeIdleWait(options: LoadOptions, results: LoadResult[]): string {
  if (options.idleWait === 0) return '';
  const idle = results.filter((result) => result.startedIdle === true).length;
  return (
    ` Before each run the script waited up to ${options.idleWait} s for the machine to be under ${IDLE_BUSY_SHARE * 100} % busy (all CPUs together) ` +
    `for ${IDLE_SAMPLES_NEEDED} s in a row; ${idle} of ${results.length} runs started that way.`
  );
}
