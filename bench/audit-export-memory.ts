/**
 * Fills a SQLite database with audit events (default 1,000,000) whose chain hashes are the
 * real ones, starts `tessera serve` on it as a child process bound to 127.0.0.1, streams
 * GET /api/v1/audit-events/export?format=jsonl over HTTP, and recomputes the hash chain from
 * the exported lines. The server's resident memory comes from /proc/<pid>/status: VmRSS
 * sampled every 100 ms during the export and VmHWM (the peak) at the end. Linux only.
 *
 * Usage: node --import tsx bench/audit-export-memory.ts [--events N] [--server-heap-mib M]
 *
 * --server-heap-mib starts the server with --max-old-space-size=M, which shows whether the
 * export fits in a bounded JavaScript heap rather than one that V8 lets grow before collecting.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { AuditEventInput } from '../packages/server/src/audit/event.js';
import { ExportChainChecker } from '../packages/server/src/audit/export-chain.js';
import { appendAuditEvents } from '../packages/server/src/audit/writer.js';
import { KeyMaterial } from '../packages/server/src/crypto/master-key.js';
import { openDatabase } from '../packages/server/src/storage/database.js';
import { migrateToLatest } from '../packages/server/src/storage/migrations.js';
import { stopChild } from './child-processes.js';
import { exitOnUsageError, parseCommandLine } from './command-line.js';
import { log, parseIntegerOption } from './load.js';

const CLI = fileURLToPath(new URL('../packages/server/bin/tessera.js', import.meta.url));
const PER_TRANSACTION = 10_000;
/** The child server stops by itself after this long, should this script die without stopping it. */
const SERVER_TIMEOUT_MS = 20 * 60 * 1000;

/** Events like those of a busy token endpoint, with every field of the hash in use. */
function syntheticEvent(index: number): AuditEventInput {
  const refused = index % 11 === 0;
  return {
    actor: { type: 'service_account', id: `account-${index % 997}`, credentialId: `credential-${index % 1999}` },
    action: refused ? 'token.refused' : 'token.issued',
    target: { type: 'credential', id: `credential-${index % 1999}` },
    instanceId: `instance-${index % 7}`,
    source: { ip: `10.${index % 256}.${(index >> 8) % 256}.${(index >> 16) % 256}`, userAgent: 'nightly-export/2.4 (+https://tracker.example.com)' },
    outcome: refused ? 'failure' : 'success',
    reason: refused ? 'wrong_secret' : null,
    details: refused ? { error: 'invalid_client' } : { scope: 'READ WRITE', authMethod: 'client_secret_basic', jti: `jti-${index}` },
  };
}

async function fill(databaseUrl: string, chainKey: Buffer, events: number): Promise<number> {
  const started = Date.now();
  const database = openDatabase(databaseUrl);
  try {
    await migrateToLatest(database.db);
    const firstTime = Date.now() - events;
    for (let start = 0; start < events; start += PER_TRANSACTION) {
      const count = Math.min(PER_TRANSACTION, events - start);
      const batch = Array.from({ length: count }, (_, offset) => ({ event: syntheticEvent(start + offset), occurredAt: firstTime + start + offset }));
      await database.db.transaction().execute((trx) => appendAuditEvents(trx, batch, chainKey));
      if ((start / PER_TRANSACTION) % 10 === 0) log(`filled ${start + count} of ${events} events`);
    }
  } finally {
    await database.close();
  }
  return (Date.now() - started) / 1000;
}

function memoryKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`/proc/${pid}/status has no ${field} line`);
  return Number(match[1]);
}

/** Starts `tessera serve` on a free loopback port and returns the child and its base URL from the "listening" log line. */
async function startServer(env: NodeJS.ProcessEnv, heapMiB: number | undefined): Promise<{ child: ChildProcess; baseUrl: string }> {
  const heapFlags = heapMiB === undefined ? [] : [`--max-old-space-size=${heapMiB}`];
  const child = spawn(process.execPath, [...heapFlags, CLI, 'serve', '--host', '127.0.0.1', '--port', '0', '--log-level', 'info'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), SERVER_TIMEOUT_MS);
  child.once('exit', () => clearTimeout(killer));

  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const entry = JSON.parse(line) as { msg?: string; address?: string };
    if (entry.msg === 'Tessera is listening' && entry.address) {
      // Leaving the loop closes the line reader, so drop the rest of the log, or a full pipe would block the child.
      child.stdout!.resume();
      return { child, baseUrl: entry.address };
    }
  }
  throw new Error('tessera serve exited before it listened');
}

const { events, serverHeapMiB } = exitOnUsageError(() => {
  const { values } = parseCommandLine({ options: { events: { type: 'string', default: '1000000' }, 'server-heap-mib': { type: 'string' } } });
  const heap = values['server-heap-mib'];
  return {
    events: parseIntegerOption('events', values.events, 1, 10_000_000),
    serverHeapMiB: heap === undefined ? undefined : parseIntegerOption('server-heap-mib', heap, 16, 16_384),
  };
});
const directory = mkdtempSync(join(tmpdir(), 'tessera-export-bench-'));
const databaseUrl = join(directory, 'tessera.db');
const masterKey = randomBytes(32).toString('base64');
const password = randomBytes(18).toString('base64url');
const chainKey = new KeyMaterial(Buffer.from(masterKey, 'base64')).auditChainKey;
let server: { child: ChildProcess; baseUrl: string } | undefined;

try {
  log(`filling ${databaseUrl} with ${events} audit events`);
  const fillSeconds = await fill(databaseUrl, chainKey, events);

  server = await startServer({ ...process.env, TESSERA_DATABASE_URL: databaseUrl, TESSERA_DATA_DIR: directory, TESSERA_MASTER_KEY: masterKey, TESSERA_ADMIN_PASSWORD: password }, serverHeapMiB);
  const pid = server.child.pid!;
  const signIn = await fetch(`${server.baseUrl}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
  if (signIn.status !== 200) throw new Error(`admin sign-in failed with HTTP ${signIn.status}`);
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
  await signIn.text();
  const rssBeforeKiB = memoryKiB(pid, 'VmRSS');
  // Start-up and sign-in (argon2) have a peak of their own, which VmHWM keeps.
  const peakBeforeKiB = memoryKiB(pid, 'VmHWM');

  let rssMaxSampledKiB = rssBeforeKiB;
  const sampler = setInterval(() => {
    rssMaxSampledKiB = Math.max(rssMaxSampledKiB, memoryKiB(pid, 'VmRSS'));
  }, 100);

  const started = Date.now();
  const response = await fetch(`${server.baseUrl}/api/v1/audit-events/export?format=jsonl`, { headers: { cookie } });
  if (response.status !== 200 || !response.body) throw new Error(`export failed with HTTP ${response.status}`);
  const checker = new ExportChainChecker(chainKey);
  let bytes = 0;
  for await (const line of createInterface({ input: Readable.fromWeb(response.body as any), crlfDelay: Infinity })) {
    bytes += Buffer.byteLength(line) + 1;
    checker.push(line);
    if (checker.events % 100_000 === 0) log(`read ${checker.events} lines; server VmRSS ${memoryKiB(pid, 'VmRSS')} kB`);
  }
  const exportSeconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  const problem = checker.finish();
  const peakKiB = memoryKiB(pid, 'VmHWM');

  const result = {
    eventsFilled: events,
    linesExported: checker.events,
    bytesExported: bytes,
    fillSeconds,
    exportSeconds,
    serverRssBeforeExportMiB: +(rssBeforeKiB / 1024).toFixed(1),
    serverPeakRssBeforeExportMiB: +(peakBeforeKiB / 1024).toFixed(1),
    serverRssMaxSampledDuringExportMiB: +(rssMaxSampledKiB / 1024).toFixed(1),
    serverPeakRssVmHWMMiB: +(peakKiB / 1024).toFixed(1),
    serverMaxOldSpaceMiB: serverHeapMiB ?? null,
    chainOk: problem === null,
    problem,
    node: process.version,
  };
  console.log(JSON.stringify(result, null, 2));
  if (problem !== null || checker.events < events) process.exitCode = 1;
} finally {
  await stopChild(server?.child, 'tessera serve');
  rmSync(directory, { recursive: true, force: true });
}
