/**
 * Measures the token throughput of one and of two Tessera nodes on one PostgreSQL database,
 * behind nginx as a round-robin load balancer.
 *
 *   node --import tsx bench/cluster-throughput.ts [--runs 5] [--duration 10] [--warmup 2] [--connections 50] [--idle-wait 0]
 *     [--postgres postgres://postgres@127.0.0.1:5432/postgres] [--nginx /usr/sbin/nginx]
 *
 * The script creates a database named tessera_bench_<random> on the PostgreSQL server, which
 * must be on loopback and let the role create databases, and drops it at the end. It starts
 * two `tessera serve` processes with the same TESSERA_MASTER_KEY and TESSERA_ISSUER, and one
 * nginx with a single worker process that listens on two ports: one in front of node A only,
 * and one in front of nodes A and B. Every process binds 127.0.0.1.
 *
 * There are three targets, which take turns run by run: node A directly, node A behind
 * nginx, and both nodes behind nginx. All use client_secret_basic. Nothing is pinned to a
 * CPU, because the servers, PostgreSQL, nginx and this load generator share the machine. The
 * report gives the CPU time of each of them and of the whole machine.
 *
 * Progress goes to stderr and the Markdown report to stdout. The exit status is 1 when any
 * response was not 2xx, any socket failed, the audit check failed or `tessera audit verify`
 * found the audit chain broken.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRemoteJWKSet } from 'jose';
import { checkAudit } from './audit-check.js';
import { stopChild } from './child-processes.js';
import { UsageError, exitOnUsageError, parseCommandLine } from './command-line.js';
import { type Nginx, type TesseraNode, freePort, startNginx, startTesseraNode } from './cluster-processes.js';
import type { CpuGroup } from './cpu.js';
import {
  LOAD_GENERATOR_GROUP,
  LOAD_OPTION_DEFINITIONS,
  type LoadOptions,
  type LoadResult,
  type LoadTarget,
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
import { AUDIT_COMMITS_NOTE, cpuNote, medianRate, ratioColumn, runTable, summaryTable } from './tables.js';
import { AdminSession, FORM_CONTENT_TYPE, type ServiceAccount, basicAuthorization, createServiceAccount, verifyTokenRequest } from './tessera-client.js';

const TESSERA_CLI = fileURLToPath(new URL('../packages/server/bin/tessera.js', import.meta.url));
const AUDIT_VERIFY_TIMEOUT_MS = 120_000;
const BASIC_BODY = 'grant_type=client_credentials';
/** Token requests sent through the two-node port before the load, to see that nginx reaches both nodes. */
const SPREAD_CHECK_REQUESTS = 6;

const DIRECT = '1 node, direct';
const ONE_NODE = '1 node behind nginx';
const TWO_NODES = '2 nodes behind nginx';

interface ClusterOptions extends LoadOptions {
  postgresUrl: string;
  nginxPath: string;
}

function parseOptions(): ClusterOptions {
  const { values } = parseCommandLine({
    options: {
      ...LOAD_OPTION_DEFINITIONS,
      postgres: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
      nginx: { type: 'string', default: '/usr/sbin/nginx' },
    },
  });
  requireLoopbackUrl('postgres', values.postgres);
  try {
    accessSync(values.nginx, constants.X_OK);
  } catch {
    throw new UsageError(`--nginx must be the path of the nginx executable; "${values.nginx}" is missing or not executable. On Debian, apt-get install nginx-light installs /usr/sbin/nginx.`);
  }
  return { ...parseLoadOptions(values, 3), postgresUrl: values.postgres, nginxPath: values.nginx };
}

/**
 * Requests tokens through a port of nginx, verifies each with jose, and returns the set of
 * node addresses that nginx reported in X-Upstream.
 */
async function upstreamsReached(baseUrl: string, issuer: string, account: ServiceAccount, headers: Record<string, string>, requests: number): Promise<Set<string>> {
  // One key set for all requests, which fetches /oauth/jwks once. A fetch before every token
  // request would take every other turn of the round robin, so all tokens would come from one node.
  const jwks = createRemoteJWKSet(new URL(`${baseUrl}/oauth/jwks`));
  const reached = new Set<string>();
  for (let i = 0; i < requests; i += 1) {
    const response = await verifyTokenRequest(baseUrl, account, headers, BASIC_BODY, `client_secret_basic through ${baseUrl}`, { issuer, jwks });
    reached.add(response.headers.get('x-upstream') ?? 'none');
  }
  return reached;
}

function expectUpstreams(label: string, reached: Set<string>, nodes: TesseraNode[]): void {
  const expected = new Set(nodes.map((node) => new URL(node.url).host));
  const same = reached.size === expected.size && [...reached].every((host) => expected.has(host));
  if (!same) {
    throw new Error(`${label}: nginx sent token requests to ${[...reached].join(', ')}, expected ${[...expected].join(', ')}.`);
  }
}

/** Runs `tessera audit verify` on the benchmark database and returns whether the chain is intact, with its output. */
function verifyAuditChain(env: Record<string, string>): Promise<{ intact: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TESSERA_CLI, 'audit', 'verify'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      output += `\ntessera audit verify did not finish within ${AUDIT_VERIFY_TIMEOUT_MS / 1000} s and was stopped.`;
      child.kill('SIGTERM');
    }, AUDIT_VERIFY_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ intact: code === 0, output: output.trim() });
    });
  });
}

async function main(): Promise<void> {
  const options = exitOnUsageError(parseOptions);
  const cpuCount = availableParallelism();

  const directory = mkdtempSync(join(tmpdir(), 'tessera-bench-cluster-'));
  let database: BenchDatabase | undefined;
  let auditProbe: AuditCommitProbe | undefined;
  let nodeA: TesseraNode | undefined;
  let nodeB: TesseraNode | undefined;
  let nginx: Nginx | undefined;
  try {
    const idleBusy = await sampleIdleMachine(3);
    log(`machine busy before the benchmark: ${formatCpu(idleBusy)} of ${cpuCount * 100} % over 3 s`);

    database = await createBenchDatabase(options.postgresUrl);
    const postmasterPid = await findPostmasterPid(options.postgresUrl);
    log(`created the PostgreSQL database ${database.name}; PostgreSQL postmaster pid ${postmasterPid ?? 'not visible in /proc'}`);

    // Tokens carry the issuer, so it is the public URL in front of both nodes, known before they start.
    const oneNodePort = await freePort();
    const twoNodesPort = await freePort();
    const issuer = `http://127.0.0.1:${twoNodesPort}`;
    const adminPassword = randomBytes(18).toString('base64url');
    const env = {
      TESSERA_DATABASE_URL: database.url,
      // Every node needs the same master key, because it decrypts the shared signing keys.
      TESSERA_MASTER_KEY: randomBytes(32).toString('base64'),
      TESSERA_ISSUER: issuer,
      TESSERA_ADMIN_PASSWORD: adminPassword,
      TESSERA_DATA_DIR: directory,
    };

    // Node A applies the migrations and creates the admin before node B starts.
    nodeA = await startTesseraNode('node A', env);
    nodeB = await startTesseraNode('node B', env);
    nginx = await startNginx(
      options.nginxPath,
      [
        { name: 'one_node', servers: [nodeA.url], port: oneNodePort },
        { name: 'two_nodes', servers: [nodeA.url, nodeB.url], port: twoNodesPort },
      ],
      options.connections,
    );
    const oneNodeUrl = nginx.urls.get('one_node')!;
    const twoNodesUrl = nginx.urls.get('two_nodes')!;
    log(`node A at ${nodeA.url} (pid ${nodeA.child.pid}), node B at ${nodeB.url} (pid ${nodeB.child.pid}), nginx (pid ${nginx.child.pid}) at ${oneNodeUrl} for node A and ${twoNodesUrl} for both`);

    const admin = await AdminSession.signIn(nodeA.url, adminPassword);
    const account = await createServiceAccount(admin);
    const headers = { 'content-type': FORM_CONTENT_TYPE, authorization: basicAuthorization(account.clientId, account.clientSecret) };

    await verifyTokenRequest(nodeA.url, account, headers, BASIC_BODY, 'client_secret_basic on node A', { issuer });
    expectUpstreams(ONE_NODE, await upstreamsReached(oneNodeUrl, issuer, account, headers, 2), [nodeA]);
    expectUpstreams(TWO_NODES, await upstreamsReached(twoNodesUrl, issuer, account, headers, SPREAD_CHECK_REQUESTS), [nodeA, nodeB]);
    log(`tokens from every target verified with jose; nginx sent the two-node requests to both nodes`);

    const nginxPid = nginx.child.pid!;
    const cpuGroups: CpuGroup[] = [
      { name: 'node A', pids: () => [nodeA!.child.pid!], includeDescendants: true },
      { name: 'node B', pids: () => [nodeB!.child.pid!], includeDescendants: true },
      { name: 'nginx', pids: () => [nginxPid], includeDescendants: true },
      ...(postmasterPid === null ? [] : [{ name: 'PostgreSQL', pids: () => [postmasterPid], includeDescendants: true }]),
      LOAD_GENERATOR_GROUP,
    ];
    const groupNames = cpuGroups.map((group) => group.name);
    auditProbe = await AuditCommitProbe.open(database.url);
    const targets: LoadTarget[] = [
      { name: DIRECT, url: `${nodeA.url}/oauth/token`, headers, body: BASIC_BODY, cpuGroups, auditProbe },
      { name: ONE_NODE, url: `${oneNodeUrl}/oauth/token`, headers, body: BASIC_BODY, cpuGroups, auditProbe },
      { name: TWO_NODES, url: `${twoNodesUrl}/oauth/token`, headers, body: BASIC_BODY, cpuGroups, auditProbe },
    ];

    const auditSeqBefore = await admin.latestAuditSeq();
    const startedAt = Date.now();
    const results: LoadResult[] = [];
    for (let run = 1; run <= options.runs; run += 1) {
      for (const target of targets) {
        log(`run ${run}/${options.runs}: ${target.name} (${options.warmup} s warm-up, ${options.duration} s measured, ${options.connections} connections)`);
        const result = await measureLoad(target, run, options);
        log(`  ${formatProgress(result)}`);
        results.push(result);
      }
    }
    const loadMinutes = (Date.now() - startedAt) / 60_000;

    // Wait 1 s for the audit events of requests still in flight to commit before the log is read.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const auditCheck = await checkAudit('all targets', admin, auditSeqBefore, results, options);
    await verifyTokenRequest(twoNodesUrl, account, headers, BASIC_BODY, 'client_secret_basic through nginx after the load', { issuer });
    log('a token requested through nginx after the load verified with jose; running tessera audit verify');
    const chain = await verifyAuditChain(env);

    const oneNodeRate = medianRate(results.filter((result) => result.target === ONE_NODE));
    const summaries = targets.map((target) => {
      const own = results.filter((result) => result.target === target.name);
      return { name: target.name, results: own, ratio: target.name === ONE_NODE ? '1 (baseline)' : (medianRate(own) / oneNodeRate).toFixed(2) };
    });

    const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
    const report = [
      `Node.js ${process.version}, autocannon ${autocannonVersion}, ${cpuModel}, ${cpuCount} CPUs, nothing pinned. ` +
        `The machine was ${formatCpu(idleBusy)} busy during 3 s before the load.`,
      describeCode(),
      `Each run: ${options.warmup} s warm-up, then ${options.duration} s measured, ${options.connections} connections, HTTP/1.1 keep-alive, no pipelining, client_secret_basic. ` +
        `Medians over ${options.runs} runs. The load took ${loadMinutes.toFixed(1)} min.${describeIdleWait(options, results)} The ratio column compares with the median of "${ONE_NODE}".`,
      '',
      summaryTable(summaries, groupNames, [ratioColumn()]),
      '',
      cpuNote(cpuCount),
      '',
      AUDIT_COMMITS_NOTE,
      '',
      '<details><summary>Every run</summary>',
      '',
      runTable(results, groupNames),
      '',
      '</details>',
      '',
      auditCheck.sentence,
      `\`tessera audit verify\` after the load: ${chain.output.split('\n').at(-1)}`,
    ].join('\n');
    process.stdout.write(`${report}\n`);

    if (auditCheck.failed) process.exitCode = 1;
    if (!chain.intact) {
      process.exitCode = 1;
      log(`tessera audit verify failed:\n${chain.output}`);
    }
    if (results.some(hasFailures)) {
      process.exitCode = 1;
      log('some runs had non-2xx responses or socket errors; see the status column');
    }
  } finally {
    await auditProbe?.close();
    await nginx?.stop();
    await stopChild(nodeA?.child, 'node A');
    await stopChild(nodeB?.child, 'node B');
    if (database) {
      await database.drop();
      log(`dropped the PostgreSQL database ${database.name}`);
    }
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
