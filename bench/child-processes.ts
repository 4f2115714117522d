/** Starting the server processes of a benchmark, pinned to their CPU, and stopping them. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { log } from './load.js';

const SERVER_CPU = '0';
const LOAD_GENERATOR_CPU = '1';
const SERVER_START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

function tasksetAvailable(): boolean {
  return spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Pins every thread of this process to the load generator CPU when taskset and two CPUs are
 * available, and returns whether it did with a description for the report.
 */
export function pinLoadGenerator(): { pinned: boolean; description: string } {
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

export interface ChildServer {
  url: string;
  process: ChildProcess;
}

/**
 * Spawns a server script under tsx, pinned to the server CPU when `pinned`, and resolves with
 * the URL that the script prints as its first line on stdout. `extraNodeArgs` go to node
 * before the script, for flags that NODE_OPTIONS refuses, such as --cpu-prof.
 */
export function startChildServer(script: string, pinned: boolean, env: NodeJS.ProcessEnv = {}, extraNodeArgs: string[] = []): Promise<ChildServer> {
  const scriptPath = fileURLToPath(new URL(script, import.meta.url));
  const nodeArgs = [...extraNodeArgs, '--import', 'tsx', scriptPath];
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
