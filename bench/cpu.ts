/**
 * CPU time of processes and of the whole machine, read from Linux /proc. Every reading is
 * null outside Linux or when `getconf` is missing.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Returns USER_HZ, the unit of CPU times in /proc/PID/stat, or null when `getconf` is missing. */
function readClockTicksPerSecond(): number | null {
  const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(result.stdout?.trim());
  return result.status === 0 && Number.isInteger(ticks) && ticks > 0 ? ticks : null;
}

const clockTicksPerSecond = readClockTicksPerSecond();

interface ProcessStat {
  /** The command name, at most 15 characters, such as "node" or "postgres". */
  name: string;
  ppid: number;
  /** User plus system CPU time in seconds. */
  cpuSeconds: number;
}

function readProcessStat(pid: number): ProcessStat | null {
  if (clockTicksPerSecond === null) return null;
  try {
    // After the command name, which is in brackets and may contain spaces, field 4 of
    // /proc/PID/stat is the parent pid and fields 14 and 15 are utime and stime in clock ticks.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const nameEnd = stat.lastIndexOf(')');
    const fields = stat.slice(nameEnd + 2).split(' ');
    return { name: stat.slice(stat.indexOf('(') + 1, nameEnd), ppid: Number(fields[1]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond };
  } catch {
    return null;
  }
}

/** Every process by pid, or null where /proc is missing. */
type ProcessTable = Map<number, ProcessStat>;

function readProcessTable(): ProcessTable | null {
  if (clockTicksPerSecond === null) return null;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }

  const table: ProcessTable = new Map();
  for (const entry of entries) {
    if (!/^[0-9]+$/.test(entry)) continue;
    // A process may exit between readdir and read, and is then left out.
    const stat = readProcessStat(Number(entry));
    if (stat) table.set(Number(entry), stat);
  }
  return table;
}

/** Returns the pids of the roots that are alive and of all their descendants. */
function withDescendants(table: ProcessTable, roots: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of table) {
    const siblings = children.get(ppid) ?? [];
    siblings.push(pid);
    children.set(ppid, siblings);
  }

  const found: number[] = [];
  const pending = roots.filter((pid) => table.has(pid));
  while (pending.length > 0) {
    const pid = pending.pop()!;
    found.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return found;
}

/**
 * Returns the cumulative busy time of all CPUs together from the first line of /proc/stat in
 * seconds: user, nice, system, irq, softirq and steal. Null where /proc is missing.
 */
function readMachineBusySeconds(): number | null {
  if (clockTicksPerSecond === null) return null;
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    // cpu user nice system idle iowait irq softirq steal guest guest_nice. Guest time is
    // already part of user and nice, so it is not added again.
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq + (steal ?? 0)) / clockTicksPerSecond;
  } catch {
    return null;
  }
}

/** A set of processes whose CPU time is reported together, such as one server or PostgreSQL. */
export interface CpuGroup {
  name: string;
  /** The processes of the group, read again at the end of each sample so that new ones count. */
  pids: () => number[];
  /** Whether the children of those processes, and their children, belong to the group too. */
  includeDescendants: boolean;
}

/** CPU time during a sample as shares of one CPU, so the machine's maximum is its CPU count. */
export interface CpuSample {
  /** Per group name, or null where /proc is missing. */
  groups: Record<string, number | null>;
  /** Busy time of all CPUs, including softirq work that no process is charged for. */
  machineBusy: number | null;
  /** Machine busy time minus every group's time: other processes plus softirq work. */
  unattributed: number | null;
  /** The processes outside the groups that used the most CPU, summed by command name, busiest first. */
  otherProcesses: { name: string; share: number }[];
}

/** Processes outside the groups are listed from this share of one CPU. */
const OTHER_PROCESS_MIN_SHARE = 0.05;
const MAX_OTHER_PROCESSES = 3;

/**
 * Samples the CPU time of process groups and of the machine between `start()` and `stop()`.
 *
 * A process that exits during the sample is left out of its group, and one that starts
 * during it counts with all of its CPU time.
 */
export class CpuSampler {
  private tableBefore: ProcessTable | null = null;
  private machineBusyBefore: number | null = null;
  private startedAt = 0n;

  constructor(private readonly groups: CpuGroup[]) {}

  start(): void {
    this.tableBefore = readProcessTable();
    this.machineBusyBefore = readMachineBusySeconds();
    this.startedAt = process.hrtime.bigint();
  }

  stop(): CpuSample {
    const tableAfter = readProcessTable();
    const machineBusyAfter = readMachineBusySeconds();
    const elapsedSeconds = Number(process.hrtime.bigint() - this.startedAt) / 1e9;
    const tableBefore = this.tableBefore;
    const machineBusyBefore = this.machineBusyBefore;

    const cpuDuringSample = (pid: number) => (tableAfter!.get(pid)!.cpuSeconds - (tableBefore!.get(pid)?.cpuSeconds ?? 0)) / elapsedSeconds;
    const groups: Record<string, number | null> = {};
    const groupPids = new Set<number>();
    for (const group of this.groups) {
      if (!tableAfter || !tableBefore) {
        groups[group.name] = null;
        continue;
      }
      const roots = group.pids();
      const pids = group.includeDescendants ? withDescendants(tableAfter, roots) : roots.filter((pid) => tableAfter.has(pid));
      for (const pid of pids) groupPids.add(pid);
      groups[group.name] = pids.reduce((sum, pid) => sum + cpuDuringSample(pid), 0);
    }

    const othersByName = new Map<string, number>();
    if (tableAfter && tableBefore) {
      for (const [pid, { name }] of tableAfter) {
        if (!groupPids.has(pid)) othersByName.set(name, (othersByName.get(name) ?? 0) + cpuDuringSample(pid));
      }
    }
    const otherProcesses = [...othersByName]
      .map(([name, share]) => ({ name, share }))
      .filter(({ share }) => share >= OTHER_PROCESS_MIN_SHARE)
      .sort((a, b) => b.share - a.share)
      .slice(0, MAX_OTHER_PROCESSES);

    if (machineBusyAfter === null || machineBusyBefore === null) {
      return { groups, machineBusy: null, unattributed: null, otherProcesses };
    }
    const machineBusy = (machineBusyAfter - machineBusyBefore) / elapsedSeconds;
    const attributed = Object.values(groups).reduce<number>((sum, share) => sum + (share ?? 0), 0);
    return { groups, machineBusy, unattributed: machineBusy - attributed, otherProcesses };
  }
}

/** Returns the parent pid of a process, or null when it is not visible in /proc. */
export function parentPid(pid: number): number | null {
  return readProcessStat(pid)?.ppid ?? null;
}
