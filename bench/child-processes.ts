/** Stopping the child processes that a benchmark started. */
import type { ChildProcess } from 'node:child_process';
import { log } from './load.js';

const STOP_TIMEOUT_MS = 10_000;

/**
 * Sends `signal` to a child process this script started and waits for it to exit, with
 * SIGKILL as the last resort after STOP_TIMEOUT_MS.
 */
export async function stopChild(child: ChildProcess | undefined, name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => {
    log(`${name} (pid ${child.pid}) did not exit within ${STOP_TIMEOUT_MS / 1000} s of ${signal}; sending SIGKILL`);
    child.kill('SIGKILL');
  }, STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
