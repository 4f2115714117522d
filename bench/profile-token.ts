/**
 * Profiles one Tessera server under load: starts bench/tessera-server.ts on SQLite with V8's
 * --cpu-prof, pinned to the server CPU, sends one kind of request with autocannon for
 * --duration seconds, stops the server and prints where the main thread spent the samples
 * taken during the load. --kind is token (client_secret_basic), introspection (of a JWT) or
 * opaque-introspection. The profile file stays in --out for a closer look. With --postgres URL
 * (a loopback server) the server uses a new database there, which the script drops at the end.
 *
 *   node --import tsx bench/profile-token.ts --kind token --duration 10 --out /tmp/tessera-profile
 *   node --import tsx bench/profile-token.ts --postgres postgres://postgres@127.0.0.1:5432/postgres
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pinLoadGenerator, startChildServer, stopChild } from './child-processes.js';
import { exitOnUsageError, parseCommandLine, UsageError } from './command-line.js';
import { autocannon, parseIntegerOption, requireLoopbackUrl } from './load.js';
import { type BenchDatabase, createBenchDatabase } from './postgres.js';
import { AdminSession, FORM_CONTENT_TYPE, basicAuthorization, createOpaqueServiceAccount, createServiceAccount, expectStatus, requestJson } from './tessera-client.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** V8's .cpuprofile: the call tree, and each sample's node with the microseconds since the previous sample. */
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The monotonic clock in microseconds, the clock of V8's profile timestamps on Linux. */
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

const KINDS = ['token', 'introspection', 'opaque-introspection'] as const;
type Kind = (typeof KINDS)[number];

const options = exitOnUsageError(() => {
  const { values } = parseCommandLine({
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      out: { type: 'string', default: '/tmp/tessera-profile' },
      top: { type: 'string', default: '40' },
      kind: { type: 'string', default: 'token' },
      postgres: { type: 'string' },
    },
  });
  if (values.postgres !== undefined) requireLoopbackUrl('postgres', values.postgres);
  if (!KINDS.includes(values.kind as Kind)) throw new UsageError(`--kind must be one of ${KINDS.join(', ')}; got "${values.kind}".`);
  if (!values.out.startsWith('/')) throw new UsageError(`--out must be an absolute folder path; got "${values.out}".`);
  return {
    duration: parseIntegerOption('duration', values.duration, 1, 120),
    connections: parseIntegerOption('connections', values.connections, 1, 500),
    top: parseIntegerOption('top', values.top, 1, 500),
    out: resolve(values.out),
    kind: values.kind as Kind,
    postgresUrl: values.postgres ?? null,
  };
});

/** Groups a script URL into the package or source folder it belongs to. */
function area(url: string): string {
  if (!url) return '(native or V8)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length).split('/').slice(0, url.includes('node_modules/@') ? 2 : 1).join('/');
  if (url.startsWith('node:')) return url;
  const source = url.indexOf('/src/');
  return source >= 0 ? url.slice(source + 1).split('/').slice(0, 3).join('/') : url;
}

function printTop(title: string, totals: Map<string, number>, all: number, top: number): void {
  console.log(`\n${title}`);
  for (const [name, hits] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * hits) / all).toFixed(1).padStart(6)} %  ${name}`);
  }
}

mkdirSync(options.out, { recursive: true });
const adminPassword = randomBytes(18).toString('base64url');
const { pinned } = pinLoadGenerator();
const database: BenchDatabase | null = options.postgresUrl === null ? null : await createBenchDatabase(options.postgresUrl);
const serverEnv = { TESSERA_ADMIN_PASSWORD: adminPassword, TESSERA_BENCH_DATABASE_URL: database?.url ?? '' };
const server = await startChildServer('./tessera-server.ts', pinned, serverEnv, ['--cpu-prof', `--cpu-prof-dir=${options.out}`]).catch(async (error: unknown) => {
  await database?.drop();
  throw error;
});

let loadStartedAt = 0;
let loadEndedAt = 0;
try {
  const admin = await AdminSession.signIn(server.url, adminPassword);
  const account = options.kind === 'opaque-introspection' ? await createOpaqueServiceAccount(admin) : await createServiceAccount(admin);
  const authorization = basicAuthorization(account.clientId, account.clientSecret);
  let path = '/oauth/token';
  let body = 'grant_type=client_credentials';
  if (options.kind !== 'token') {
    const issued = await requestJson(`${server.url}/oauth/token`, { method: 'POST', headers: { authorization, 'content-type': FORM_CONTENT_TYPE }, body });
    expectStatus(issued, 200, 'Requesting the token to introspect');
    path = '/oauth/introspect';
    body = `token=${encodeURIComponent(issued.body.access_token)}`;
  }
  loadStartedAt = monotonicMicros();
  const result = await autocannon({
    url: server.url,
    connections: options.connections,
    duration: options.duration,
    excludeErrorStats: false,
    requests: [{
      method: 'POST',
      path,
      headers: { authorization, 'content-type': FORM_CONTENT_TYPE },
      body,
    }],
  });
  loadEndedAt = monotonicMicros();
  console.log(`${Math.round(result['2xx'] / result.duration)} 2xx responses/s, ${result.non2xx} non-2xx, ${result.errors} errors`);

  // The group commit's batch sizes and durations, which the profile alone does not show.
  const metrics = await requestJson(`${server.url}/metrics`, {});
  for (const line of metrics.text.split('\n')) {
    if (/^tessera_audit_group_commit_(events|duration_seconds)_(sum|count)/.test(line)) console.log(line);
  }
} finally {
  await stopChild(server.process, 'Tessera');
  await database?.drop();
}

// Each thread writes its own profile, and tsx's module loader runs on a thread of its own.
// The main thread's profile is the one with the most busy samples during the load.
const idleIds = (profile: Profile) => new Set(profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((node) => node.id));
function busySamplesDuringLoad(profile: Profile): number {
  const idle = idleIds(profile);
  let at = profile.startTime;
  let busy = 0;
  profile.samples.forEach((sample, i) => {
    at += profile.timeDeltas[i];
    if (at >= loadStartedAt && at <= loadEndedAt && !idle.has(sample)) busy += 1;
  });
  return busy;
}
const profiles = readdirSync(options.out)
  .filter((name) => name.endsWith('.cpuprofile') && name.includes(`.${server.process.pid}.`))
  .map((name) => ({ file: name, profile: JSON.parse(readFileSync(join(options.out, name), 'utf8')) as Profile }));
const main = profiles.sort((a, b) => busySamplesDuringLoad(b.profile) - busySamplesDuringLoad(a.profile))[0];
if (!main) throw new Error(`The server wrote no .cpuprofile into ${options.out}.`);
const { nodes, samples, timeDeltas, startTime } = main.profile;

const byId = new Map(nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const label = ({ callFrame: { functionName, url, lineNumber } }: ProfileNode) =>
  `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/packages\//, '')}:${lineNumber + 1}`;

// Only samples taken while autocannon ran count, so that start-up and shutdown do not.
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const byArea = new Map<string, number>();
const add = (totals: Map<string, number>, key: string) => totals.set(key, (totals.get(key) ?? 0) + 1);
let at = startTime;
let counted = 0;
for (let i = 0; i < samples.length; i += 1) {
  at += timeDeltas[i];
  if (at < loadStartedAt || at > loadEndedAt) continue;
  counted += 1;
  const leaf = byId.get(samples[i])!;
  add(self, label(leaf));
  add(byArea, area(leaf.callFrame.url));
  const seen = new Set<string>();
  for (let id: number | undefined = leaf.id; id !== undefined; id = parentOf.get(id)) {
    const name = label(byId.get(id)!);
    if (!seen.has(name)) add(inclusive, name);
    seen.add(name);
  }
}
console.log(`profile: ${join(options.out, main.file)}, ${counted} samples during the load`);
printTop('self time by package or folder', byArea, counted, options.top);
printTop('self time by function', self, counted, options.top);
printTop('inclusive time by function', inclusive, counted, options.top);
