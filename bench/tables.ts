/** The summary and per-run Markdown tables that both benchmark scripts print. */
import { LOAD_GENERATOR_GROUP, type LoadResult, describeStatus, hasFailures } from './load.js';
import { type Column, formatCpu, formatLatency, formatRate, markdownTable, median, medianOfKnown } from './report.js';

/** The results of one target over all its runs. */
export interface TargetResults {
  name: string;
  results: LoadResult[];
}

/** Returns a column that shows each row's `ratio`, such as "0.039" or "1 (baseline)". */
export function ratioColumn<Row extends TargetResults & { ratio: string }>(header = 'Ratio'): Column<Row> {
  return { header, numeric: true, value: (target) => target.ratio };
}

/** Returns whether any run had a response check, so that the rates count checked responses rather than 2xx ones. */
function hasChecks(results: LoadResult[]): boolean {
  return results.some((result) => result.checkedResponses !== null);
}

function rateHeader(results: LoadResult[]): string {
  return hasChecks(results) ? 'checked responses/s' : '2xx responses/s';
}

export function medianRate(results: LoadResult[]): number {
  return median(results.map((result) => result.successPerSecond));
}

/** CPU columns, one per group and then the machine's, from a function that picks the share of one result. */
function cpuColumns<Row>(groupNames: string[], prefix: string, pick: (row: Row, share: (result: LoadResult) => number | null) => number | null): Column<Row>[] {
  return [
    ...groupNames.map((group) => ({ header: `${prefix}${group} CPU`, numeric: true, value: (row: Row) => formatCpu(pick(row, (result) => result.cpu.groups[group] ?? null)) })),
    { header: `${prefix}machine busy`, numeric: true, value: (row: Row) => formatCpu(pick(row, (result) => result.cpu.machineBusy)) },
    { header: `${prefix}other CPU`, numeric: true, value: (row: Row) => formatCpu(pick(row, (result) => result.cpu.unattributed)) },
  ];
}

/**
 * Returns the CPU time that the listed processes other than the load generator spent per 2xx
 * response, in milliseconds, or null when a share is unknown or no response was 2xx.
 */
function serverCpuPerResponse(result: LoadResult): number | null {
  const shares = Object.entries(result.cpu.groups).filter(([name]) => name !== LOAD_GENERATOR_GROUP.name);
  if (result.successPerSecond === 0 || shares.some(([, share]) => share === null)) return null;
  return (shares.reduce((sum, [, share]) => sum + share!, 0) / result.successPerSecond) * 1000;
}

function formatMilliseconds(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(2);
}

/** Returns whether any run counted audit commits, which only PostgreSQL targets do. */
function hasAuditProbe(results: LoadResult[]): boolean {
  return results.some((result) => result.auditEventsPerCommit !== null);
}

function formatEventsPerCommit(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(1);
}

function describeOtherProcesses(result: LoadResult): string {
  const others = result.cpu.otherProcesses;
  return others.length === 0 ? '-' : others.map(({ name, share }) => `${name} ${formatCpu(share)}`).join(', ');
}

/** Returns the summary table, with `comparisonColumns`, such as ratios, at its right end. */
export function summaryTable<Row extends TargetResults>(targets: Row[], groupNames: string[], comparisonColumns: Column<Row>[]): string {
  const allResults = targets.flatMap((target) => target.results);
  const columns: Column<Row>[] = [
    { header: 'Target', numeric: false, value: (target) => target.name },
    { header: 'Runs', numeric: true, value: (target) => String(target.results.length) },
    { header: `Median ${rateHeader(allResults)}`, numeric: true, value: (target) => formatRate(medianRate(target.results)) },
    { header: 'Median p50 latency (ms)', numeric: true, value: (target) => formatLatency(medianOfKnown(target.results.map((result) => result.latencyP50))) },
    { header: 'Median p99 latency (ms)', numeric: true, value: (target) => formatLatency(medianOfKnown(target.results.map((result) => result.latencyP99))) },
    { header: 'non-2xx (all runs)', numeric: true, value: (target) => String(target.results.reduce((sum, result) => sum + result.non2xx, 0)) },
    ...(hasChecks(allResults) ? [{ header: 'failed checks (all runs)', numeric: true, value: (target: Row) => String(target.results.reduce((sum, result) => sum + result.failedChecks + result.warmupFailedChecks, 0)) }] : []),
    { header: 'Runs with failures', numeric: true, value: (target) => String(target.results.filter(hasFailures).length) },
    ...cpuColumns<Row>(groupNames, 'Median ', (target, share) => medianOfKnown(target.results.map(share))),
    { header: 'Median server-side CPU per response (ms)', numeric: true, value: (target) => formatMilliseconds(medianOfKnown(target.results.map(serverCpuPerResponse))) },
    ...(hasAuditProbe(allResults)
      ? [{ header: 'Median audit events per commit', numeric: true, value: (target: Row) => formatEventsPerCommit(medianOfKnown(target.results.map((result) => result.auditEventsPerCommit))) }]
      : []),
    ...comparisonColumns,
  ];
  return markdownTable(columns, targets);
}

export function runTable(results: LoadResult[], groupNames: string[]): string {
  const columns: Column<LoadResult>[] = [
    { header: 'Target', numeric: false, value: (result) => result.target },
    { header: 'Run', numeric: true, value: (result) => String(result.run) },
    { header: rateHeader(results), numeric: true, value: (result) => formatRate(result.successPerSecond) },
    { header: 'p50 latency (ms)', numeric: true, value: (result) => formatLatency(result.latencyP50) },
    { header: 'p99 latency (ms)', numeric: true, value: (result) => formatLatency(result.latencyP99) },
    { header: 'non-2xx', numeric: true, value: (result) => String(result.non2xx) },
    { header: 'socket errors', numeric: true, value: (result) => String(result.errors) },
    { header: 'timeouts', numeric: true, value: (result) => String(result.timeouts) },
    ...(hasChecks(results)
      ? [
          { header: 'responses checked', numeric: true, value: (result: LoadResult) => (result.checkedResponses === null ? 'n/a' : String(result.checkedResponses)) },
          { header: 'failed checks', numeric: true, value: (result: LoadResult) => String(result.failedChecks + result.warmupFailedChecks) },
        ]
      : []),
    ...cpuColumns<LoadResult>(groupNames, '', (result, share) => share(result)),
    { header: 'other processes', numeric: false, value: describeOtherProcesses },
    { header: 'server-side CPU per response (ms)', numeric: true, value: (result) => formatMilliseconds(serverCpuPerResponse(result)) },
    ...(hasAuditProbe(results) ? [{ header: 'audit events per commit', numeric: true, value: (result: LoadResult) => formatEventsPerCommit(result.auditEventsPerCommit) }] : []),
    { header: 'status', numeric: false, value: describeStatus },
  ];
  return markdownTable(columns, results);
}

/** Returns the note under the tables that defines the CPU columns. */
export function cpuNote(cpuCount: number): string {
  return (
    `CPU columns are user plus system time from /proc during the measured part of a run, as a share of one CPU, so the machine's maximum is ${cpuCount * 100} %. ` +
    '"machine busy" is every CPU\'s non-idle time from /proc/stat. "other CPU" is machine busy minus the listed processes: ' +
    'kernel softirq work such as loopback networking, which no process is charged for, and every other process on the machine. ' +
    '"server-side CPU per response" is the CPU time of the listed processes other than the load generator divided by the responses that the rate column counts. ' +
    `"other processes" lists those outside the listed groups that used at least 5 % of one CPU, summed by command name. A process that exited during the run is missing from it.`
  );
}

/** A note under the tables that defines the audit events per commit. */
export const AUDIT_COMMITS_NOTE =
  '"audit events per commit" is, on PostgreSQL, the audit events that the measured part of a run added divided by the transactions that inserted them ' +
  '(distinct `xmin` of the new `audit_events` rows). Every commit of the group commit is one such transaction, so it is the mean batch size.';
