import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Tessera CLI of this repository. */
const TESSERA_BIN = fileURLToPath(new URL('../../../../packages/server/bin/tessera.js', import.meta.url));

/** Maximum time from spawning Tessera until its metadata URL must respond. */
const START_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 250;

export interface TesseraProcess {
  issuer: string;
  logFile: string;
  child: ChildProcess;
  /** Sends SIGTERM to the child and waits until it exits. */
  stop(): Promise<void>;
}

function lastLines(path: string, count: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitUntilReady(issuer: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Tessera exited with code ${child.exitCode} while starting. Its log ends with:\n${lastLines(logFile, 20)}`);
    try {
      const response = await fetch(`${issuer}/.well-known/oauth-authorization-server`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  throw new Error(`Tessera did not respond at ${issuer} within ${START_TIMEOUT_MS / 1000} s. Its log ends with:\n${lastLines(logFile, 20)}`);
}

/**
 * Starts `tessera serve` on 127.0.0.1 with its SQLite database and master key in
 * `dataDirectory`, the log in `tessera.log` there, and the given admin password.
 */
export async function startTessera(options: { dataDirectory: string; port: number; adminPassword: string }): Promise<TesseraProcess> {
  const issuer = `http://127.0.0.1:${options.port}`;
  const logFile = join(options.dataDirectory, 'tessera.log');
  const log = openSync(logFile, 'a');
  const args = [TESSERA_BIN, 'serve', '--host', '127.0.0.1', '--port', String(options.port), '--issuer', issuer, '--database-url', join(options.dataDirectory, 'tessera.db'), '--data-dir', options.dataDirectory];

  const child = spawn(process.execPath, args, {
    env: { ...process.env, TESSERA_ADMIN_PASSWORD: options.adminPassword, TESSERA_DATABASE_URL: undefined, TESSERA_MASTER_KEY: undefined },
    stdio: ['ignore', log, log],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };

  try {
    await waitUntilReady(issuer, child, logFile);
  } catch (error) {
    await stop();
    throw error;
  }
  return { issuer, logFile, child, stop };
}
