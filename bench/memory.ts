import { readFileSync } from 'node:fs';

/** Resident memory of a process from /proc, in MiB: now (VmRSS) and its peak since it started (VmHWM). */
export interface ResidentMemory {
  currentMiB: number;
  peakMiB: number;
}

/** Reads the resident memory of `pid`, or returns null outside Linux or once the process has exited. */
export function readResidentMemory(pid: number): ResidentMemory | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kibibytes = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { currentMiB: kibibytes('VmRSS') / 1024, peakMiB: kibibytes('VmHWM') / 1024 };
}

/** Returns one sentence with the resident memory of each server after the load. */
export function describeServerMemory(servers: { name: string; pid: number }[]): string {
  const parts = servers.map(({ name, pid }) => {
    const memory = readResidentMemory(pid);
    return memory ? `${name} ${memory.currentMiB.toFixed(0)} MiB (peak ${memory.peakMiB.toFixed(0)} MiB)` : `${name} n/a`;
  });
  return `Resident memory of each server process after all runs, from /proc (VmRSS, and VmHWM as the peak): ${parts.join(', ')}.`;
}
