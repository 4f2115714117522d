/**
 * The server side of the instruction count in bench/micro/callgrind-token.ts, which starts this
 * script under `valgrind --tool=callgrind --instr-atstart=no` and sends it the requests from
 * another process, so that the count covers the server alone and not the HTTP client.
 *
 *   valgrind --tool=callgrind --instr-atstart=no node --import tsx bench/micro/token-instructions.ts --target tessera
 *
 * `--target tessera` starts Tessera in this process on 127.0.0.1 with a fresh SQLite file in a
 * temporary folder and the admin password from TESSERA_ADMIN_PASSWORD. `--target bare` starts
 * a bare node:http server that reads the request body and returns a small JSON body, the floor
 * of any HTTP request in Node.js. The first line on stdout is `{"url": "http://127.0.0.1:PORT"}`.
 *
 * Then the script reads commands from stdin, one per line, and confirms each by writing the
 * same word to stdout once it is done:
 * - `on` and `off` switch callgrind's instrumentation on and off with `callgrind_control -i`,
 * - `exit` stops the server and exits, and callgrind writes its output file.
 *
 * Without `--callgrind`, `on` and `off` are only confirmed, so that the script can be tried without
 * valgrind. The process also stops when its stdin closes or after MAX_LIFETIME_MS.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../../packages/server/src/config.js';
import { createTessera } from '../../packages/server/src/server.js';

const MAX_LIFETIME_MS = 20 * 60 * 1000;

interface Target {
  url: string;
  close(): Promise<void>;
}

async function startTessera(): Promise<Target> {
  const adminPassword = process.env.TESSERA_ADMIN_PASSWORD;
  if (!adminPassword) throw new Error('TESSERA_ADMIN_PASSWORD is missing; bench/micro/callgrind-token.ts sets it.');

  const directory = mkdtempSync(join(tmpdir(), 'tessera-micro-'));
  const config = loadConfig(
    {
      databaseUrl: join(directory, 'tessera.db'),
      dataDirectory: directory,
      host: '127.0.0.1',
      port: 0,
      adminPassword,
      // A key from memory, so that no master key file is written beside the database.
      masterKey: randomBytes(32).toString('base64'),
    },
    {},
  );
  const tessera = await createTessera({ config, logger: pino({ level: 'silent' }) });
  const address = await tessera.listen();

  // Tokens carry the issuer, which must match the address clients use, known only after listening.
  const url = address.replace('localhost', '127.0.0.1');
  tessera.context.config.issuer = url;
  return {
    url,
    async close() {
      await tessera.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function startBare(): Promise<Target> {
  const body = JSON.stringify({ ok: true, server: 'bare node:http' });
  const server = createServer((request, response) => {
    // Read the whole body before responding, as Tessera does.
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Runs `callgrind_control -i on|off` for this process. Valgrind handles the request only while
 * this process runs code, so the event loop spins with setImmediate until the command exits,
 * instead of blocking in a system call.
 */
async function switchInstrumentation(state: 'on' | 'off'): Promise<void> {
  const control = spawn('callgrind_control', ['-i', state, String(process.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  control.stdout.on('data', (chunk) => (output += chunk));
  control.stderr.on('data', (chunk) => (output += chunk));

  let exitCode: number | null | undefined;
  control.on('error', (error) => {
    output += String(error);
    exitCode = null;
  });
  control.on('exit', (code) => (exitCode = code));
  while (exitCode === undefined) await new Promise((resolve) => setImmediate(resolve));

  if (exitCode !== 0 || !/OK/.test(output)) throw new Error(`callgrind_control -i ${state} failed with exit code ${exitCode}: ${output.trim()}`);
}

const { values } = parseArgs({ options: { target: { type: 'string', default: 'tessera' }, callgrind: { type: 'boolean', default: false } } });
if (values.target !== 'tessera' && values.target !== 'bare') throw new Error(`--target must be tessera or bare, got ${values.target}`);

const target = values.target === 'tessera' ? await startTessera() : await startBare();

let stopping = false;
async function stop(reason: string, exitCode = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await target.close();
  } catch (error) {
    console.error(`closing the ${values.target} server failed (${reason}):`, error);
    exitCode = 1;
  }
  process.exit(exitCode);
}

setTimeout(() => {
  console.error(`the instruction-count server ran for ${MAX_LIFETIME_MS / 60_000} minutes and stops by itself`);
  void stop('maximum lifetime', 1);
}, MAX_LIFETIME_MS).unref();

const commands = createInterface({ input: process.stdin });
commands.on('close', () => void stop('stdin closed'));
commands.on('line', (line) => {
  const command = line.trim();
  if (command === 'exit') {
    void stop('exit command');
    return;
  }
  if (command !== 'on' && command !== 'off') {
    console.error(`unknown command "${command}"; expected on, off or exit`);
    return;
  }

  const switched = values.callgrind ? switchInstrumentation(command) : Promise.resolve();
  switched.then(
    () => process.stdout.write(`${command}\n`),
    (error: unknown) => {
      console.error(error);
      void stop('callgrind_control failed', 1);
    },
  );
});

process.stdout.write(`${JSON.stringify({ url: target.url })}\n`);
