/**
 * Measures Tessera's token and introspection endpoints and compares them with oidc-provider
 * (the peer) and a bare node:http server, in one command:
 *
 *   node --import tsx bench/token-throughput.ts [--runs 3] [--duration 10] [--warmup 2] [--connections 50] [--idle-wait 0]
 *     [--postgres postgres://postgres@127.0.0.1:5432/postgres]
 *
 * Each server runs alone as a child process bound to 127.0.0.1: Tessera on SQLite
 * (bench/tessera-server.ts), the peer (bench/peer-server.ts) and the bare server
 * (bench/bare-http.ts). With --postgres, another Tessera server runs on a fresh database
 * named tessera_bench_<random> on that PostgreSQL server, which must be on loopback and let
 * the role create databases. The script drops that database at the end.
 *
 * Tessera and the peer each get a token request with client_secret_basic, one with
 * client_secret_post and an RFC 7662 introspection request. The bare server gets the Basic
 * token request only. Every response is checked (bench/response-checks.ts), every token is
 * verified with jose after its run, and only responses that pass count as throughput.
 *
 * When taskset exists and two CPUs are available, the servers are pinned to CPU 0 and this
 * load generator to CPU 1. PostgreSQL is not started by this script and is not pinned. Each
 * run starts with a warm-up whose results are discarded except for failed responses, and the
 * targets take turns run by run so that drift in the machine affects all of them alike. CPU
 * shares come from /proc, so they are "n/a" outside Linux.
 *
 * Progress goes to stderr and the Markdown report to stdout. The exit status is 1 when any
 * response was not 2xx or failed its check, any socket failed or an audit check failed.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, cpus } from 'node:os';
import { checkAudit } from './audit-check.js';
import { type ChildServer, pinLoadGenerator, startChildServer, stopChild } from './child-processes.js';
import { exitOnUsageError, parseCommandLine } from './command-line.js';
import { type ComparedResults, comparisonColumns, comparisonNote } from './comparison.js';
import type { CpuGroup } from './cpu.js';
import {
  LOAD_GENERATOR_GROUP,
  LOAD_OPTION_DEFINITIONS,
  type LoadOptions,
  type LoadResult,
  autocannonVersion,
  describeIdleWait,
  formatProgress,
  hasFailures,
  log,
  measureLoad,
  parseLoadOptions,
  requireLoopbackUrl,
  sampleIdleMachine,
} from './load.js';
import { AuditCommitProbe, type BenchDatabase, createBenchDatabase, findPostmasterPid } from './postgres.js';
import { describeCode, formatCpu } from './report.js';
import { AUDIT_COMMITS_NOTE, cpuNote, runTable, summaryTable } from './tables.js';
import { describeServerMemory } from './memory.js';
import { AdminSession, createOpaqueServiceAccount, createServiceAccount } from './tessera-client.js';
import { type ComparedTarget, type TesseraUnderTest, bareTarget, peerTargets, probeTarget, tesseraTargets } from './token-targets.js';

interface BenchOptions extends LoadOptions {
  /** URL of a PostgreSQL server where the benchmark may create and drop a database, or null to measure SQLite only. */
  postgresUrl: string | null;
}

/** Four request kinds for each Tessera server, three for the peer and one for the bare server. */
const TARGETS_PER_TESSERA = 4;
const TARGETS_OF_PEER_AND_BARE = 4;

function parseOptions(): BenchOptions {
  const { values } = parseCommandLine({
    // Three runs by default, so that twelve targets fit the maximum load time of parseLoadOptions.
    options: { ...LOAD_OPTION_DEFINITIONS, runs: { type: 'string', default: '3' }, postgres: { type: 'string' } },
  });
  const postgresUrl = values.postgres ?? null;
  if (postgresUrl !== null) requireLoopbackUrl('postgres', postgresUrl);

  const tesseraServers = postgresUrl === null ? 1 : 2;
  const targetCount = tesseraServers * TARGETS_PER_TESSERA + TARGETS_OF_PEER_AND_BARE;
  return { ...parseLoadOptions(values, targetCount), postgresUrl };
}

async function prepareTessera(label: string, server: ChildServer, adminPassword: string, auditProbe?: AuditCommitProbe): Promise<TesseraUnderTest> {
  const admin = await AdminSession.signIn(server.url, adminPassword);
  const account = await createServiceAccount(admin);
  const opaqueAccount = await createOpaqueServiceAccount(admin);
  return { label, server, admin, account, opaqueAccount, auditProbe, tokensRequestedOutsideLoad: 0 };
}

/** The child processes and the database that main() starts, for the cleanup in its finally block. */
interface Started {
  servers: { name: string; server: ChildServer }[];
  database?: BenchDatabase;
  auditProbe?: AuditCommitProbe;
}

async function stopAll(started: Started): Promise<void> {
  for (const { name, server } of started.servers) await stopChild(server.process, name);
  await started.auditProbe?.close();
  if (started.database) {
    await started.database.drop();
    log(`dropped the PostgreSQL database ${started.database.name}`);
  }
}

async function startServer(started: Started, name: string, script: string, pinned: boolean, env: NodeJS.ProcessEnv = {}): Promise<ChildServer> {
  const server = await startChildServer(script, pinned, env);
  started.servers.push({ name, server });
  log(`${name} at ${server.url} (pid ${server.process.pid})`);
  return server;
}

async function main(): Promise<void> {
  const options = exitOnUsageError(parseOptions);
  const cpusBeforePinning = availableParallelism();
  const pinning = pinLoadGenerator();
  log(`pinning: ${pinning.description}`);

  const idleBusy = await sampleIdleMachine(3);
  log(`machine busy before the benchmark: ${formatCpu(idleBusy)} of ${cpusBeforePinning * 100} % over 3 s`);

  const adminPassword = randomBytes(18).toString('base64url');
  const peerSecret = randomBytes(24).toString('base64url');
  const started: Started = { servers: [] };
  try {
    // An empty TESSERA_BENCH_DATABASE_URL selects SQLite even when the shell has one set.
    const sqliteServer = await startServer(started, 'Tessera on SQLite', './tessera-server.ts', pinning.pinned, { TESSERA_ADMIN_PASSWORD: adminPassword, TESSERA_BENCH_DATABASE_URL: '' });
    const peerServer = await startServer(started, 'the oidc-provider peer', './peer-server.ts', pinning.pinned, { PEER_CLIENT_SECRET: peerSecret });
    const bareServer = await startServer(started, 'bare node:http', './bare-http.ts', pinning.pinned);

    let postmasterPid: number | null = null;
    let postgresServer: ChildServer | undefined;
    if (options.postgresUrl !== null) {
      started.database = await createBenchDatabase(options.postgresUrl);
      log(`created the PostgreSQL database ${started.database.name}`);
      postmasterPid = await findPostmasterPid(options.postgresUrl);
      log(`PostgreSQL postmaster pid ${postmasterPid ?? 'not visible in /proc'}`);
      postgresServer = await startServer(started, 'Tessera on PostgreSQL', './tessera-server.ts', pinning.pinned, { TESSERA_ADMIN_PASSWORD: adminPassword, TESSERA_BENCH_DATABASE_URL: started.database.url });
      started.auditProbe = await AuditCommitProbe.open(started.database.url);
    }

    const serverGroup = (pid: number): CpuGroup => ({ name: 'server', pids: () => [pid], includeDescendants: true });
    const postgresGroup: CpuGroup[] = postmasterPid === null ? [] : [{ name: 'PostgreSQL', pids: () => [postmasterPid], includeDescendants: true }];
    const groupsFor = (server: ChildServer): CpuGroup[] => [serverGroup(server.process.pid!), ...postgresGroup, LOAD_GENERATOR_GROUP];
    const groupNames = ['server', ...postgresGroup.map((group) => group.name), LOAD_GENERATOR_GROUP.name];

    const tesseras = [await prepareTessera('Tessera on SQLite', sqliteServer, adminPassword)];
    if (postgresServer) tesseras.push(await prepareTessera('Tessera on PostgreSQL', postgresServer, adminPassword, started.auditProbe));
    const tesseraTargetLists = await Promise.all(tesseras.map((tessera) => tesseraTargets(tessera, groupsFor(tessera.server))));
    const targets: ComparedTarget[] = tesseraTargetLists.flat();
    targets.push(...(await peerTargets(peerServer, peerSecret, groupsFor(peerServer))));
    // The same request as Tessera's Basic target, so that both servers parse requests of the same size.
    targets.push(bareTarget(bareServer, tesseraTargetLists[0][0].headers, groupsFor(bareServer)));

    for (const target of targets) await probeTarget(target);
    log('one request per target passed its check, and every token in them verified with jose');

    // The probes above requested tokens for the introspection targets, which the audit check must not count.
    const auditSeqsBefore = await Promise.all(tesseras.map((tessera) => tessera.admin.latestAuditSeq()));
    for (const tessera of tesseras) tessera.tokensRequestedOutsideLoad = 0;

    const startedAt = Date.now();
    const results: LoadResult[] = [];
    for (let run = 1; run <= options.runs; run += 1) {
      for (const target of targets) {
        await target.beforeRun?.();
        log(`run ${run}/${options.runs}: ${target.name} (${options.warmup} s warm-up, ${options.duration} s measured, ${options.connections} connections)`);
        const result = await measureLoad(target, run, options);
        log(`  ${formatProgress(result)}`);
        results.push(result);
      }
    }
    const loadMinutes = (Date.now() - startedAt) / 60_000;

    // Requests still in flight when autocannon stops are completed by the server but not
    // counted. Wait 1 s for their audit events to commit before the audit logs are read.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const auditChecks = [];
    for (const [index, tessera] of tesseras.entries()) {
      const tokenTargets = new Set(targets.filter((target) => target.tessera === tessera && !target.kind.startsWith('introspection')).map((target) => target.name));
      const own = results.filter((result) => tokenTargets.has(result.target));
      auditChecks.push(await checkAudit(tessera.label, tessera.admin, auditSeqsBefore[index], own, options, tessera.tokensRequestedOutsideLoad));
    }

    const memorySentence = describeServerMemory(started.servers.map(({ name, server }) => ({ name, pid: server.process.pid! })));
    const summaries: ComparedResults[] = targets.map((target) => ({ name: target.name, target, results: results.filter((result) => result.target === target.name) }));
    const report = [
      `Node.js ${process.version}, autocannon ${autocannonVersion}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpusBeforePinning} CPUs available before pinning. ` +
        `The machine was ${formatCpu(idleBusy)} busy during 3 s before the load.`,
      describeCode(),
      `Pinning: ${pinning.description}${options.postgresUrl === null ? '' : '; PostgreSQL not pinned'}.`,
      `Each run: ${options.warmup} s warm-up, then ${options.duration} s measured, ${options.connections} connections, HTTP/1.1 keep-alive, no pipelining. Medians over ${options.runs} ${options.runs === 1 ? 'run' : 'runs'}. ` +
        `The load took ${loadMinutes.toFixed(1)} min.${describeIdleWait(options, results)}`,
      '',
      summaryTable(summaries, groupNames, comparisonColumns(summaries)),
      '',
      CHECKS_NOTE,
      '',
      comparisonNote(),
      '',
      cpuNote(cpusBeforePinning),
      ...(started.auditProbe ? ['', AUDIT_COMMITS_NOTE] : []),
      '',
      '<details><summary>Every run</summary>',
      '',
      runTable(results, groupNames),
      '',
      '</details>',
      '',
      ...auditChecks.map((check) => check.sentence),
      '',
      memorySentence,
    ].join('\n');
    process.stdout.write(`${report}\n`);

    for (const target of targets) if (target.tessera && target.kind === 'token, client_secret_basic') await probeTarget(target);
    log('a token from each Tessera server requested after the load verified with jose');

    if (auditChecks.some((check) => check.failed)) process.exitCode = 1;
    if (results.some(hasFailures)) {
      process.exitCode = 1;
      log('some runs had non-2xx responses, failed checks or socket errors; see the status column');
    }
  } finally {
    await stopAll(started);
  }
}

/** The note under the summary table that defines which responses count. */
const CHECKS_NOTE =
  'A response counts only when it passed its check. Token responses must be 200 with a JSON body holding token_type Bearer, a three-part JWT and a positive expires_in, ' +
  'and after each run every token is verified with jose against the server\'s JWKS (signature, typ at+jwt, issuer, audience, exp, subject) and must have a jti of its own. ' +
  'Introspection responses must be 200 with active true and the client_id and scope of the introspected token, which the script requests before each run. ' +
  'The bare server\'s responses must be 200 with its JSON body.';

await main();
