/**
 * Profiles one Tessera server under token load: starts bench/tessera-server.ts on SQLite with
 * V8's --cpu-prof, pinned to the server CPU, sends client_secret_basic token requests with
 * autocannon for --duration seconds, stops the server and prints the functions and packages
 * with the most self time. The profile file stays in --out for a closer look.
 *
 *   node --import tsx bench/profile-token.ts --duration 10 --out /tmp/tessera-profile
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pinLoadGenerator, startChildServer, stopChild } from './child-processes.js';
import { exitOnUsageError, parseCommandLine, UsageError } from './command-line.js';
import { autocannon, parseIntegerOption } from './load.js';
import { AdminSession, FORM_CONTENT_TYPE, basicAuthorization, createServiceAccount, requestJson } from './tessera-client.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
}

const options = exitOnUsageError(() => {
  const { values } = parseCommandLine({
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      out: { type: 'string', default: '/tmp/tessera-profile' },
      top: { type: 'string', default: '40' },
    },
  });
  if (!values.out.startsWith('/')) throw new UsageError(`--out must be an absolute folder path; got "${values.out}".`);
  return {
    duration: parseIntegerOption('duration', values.duration, 1, 120),
    connections: parseIntegerOption('connections', values.connections, 1, 500),
    top: parseIntegerOption('top', values.top, 1, 500),
    out: resolve(values.out),
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
const server = await startChildServer('./tessera-server.ts', pinned, { TESSERA_ADMIN_PASSWORD: adminPassword }, ['--cpu-prof', `--cpu-prof-dir=${options.out}`]);

try {
  const admin = await AdminSession.signIn(server.url, adminPassword);
  const account = await createServiceAccount(admin);
  const result = await autocannon({
    url: server.url,
    connections: options.connections,
    duration: options.duration,
    excludeErrorStats: false,
    requests: [{
      method: 'POST',
      path: '/oauth/token',
      headers: { authorization: basicAuthorization(account.clientId, account.clientSecret), 'content-type': FORM_CONTENT_TYPE },
      body: 'grant_type=client_credentials',
    }],
  });
  console.log(`${Math.round(result['2xx'] / result.duration)} 2xx responses/s, ${result.non2xx} non-2xx, ${result.errors} errors`);

  // The group commit's batch sizes and durations, which the profile alone does not show.
  const metrics = await requestJson(`${server.url}/metrics`, {});
  for (const line of metrics.text.split('\n')) {
    if (/^tessera_audit_group_commit_(events|duration_seconds)_(sum|count)/.test(line)) console.log(line);
  }
} finally {
  await stopChild(server.process, 'Tessera');
}

// Each thread writes its own profile, and tsx's module loader runs on a thread of its own.
// The main thread's profile is the one with the most busy samples.
const busySamples = (nodes: ProfileNode[]) => nodes.reduce((sum, node) => sum + (node.callFrame.functionName === '(idle)' ? 0 : node.hitCount), 0);
const profiles = readdirSync(options.out)
  .filter((name) => name.endsWith('.cpuprofile') && name.includes(`.${server.process.pid}.`))
  .map((name) => ({ file: name, nodes: (JSON.parse(readFileSync(join(options.out, name), 'utf8')) as { nodes: ProfileNode[] }).nodes }));
const main = profiles.sort((a, b) => busySamples(b.nodes) - busySamples(a.nodes))[0];
if (!main) throw new Error(`The server wrote no .cpuprofile into ${options.out}.`);
const { file } = main;
const profile = main;

const byFunction = new Map<string, number>();
const byArea = new Map<string, number>();
let all = 0;
for (const node of profile.nodes) {
  if (node.hitCount === 0) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const name = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/packages\//, '')}:${lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + node.hitCount);
  byArea.set(area(url), (byArea.get(area(url)) ?? 0) + node.hitCount);
  all += node.hitCount;
}
console.log(`profile: ${join(options.out, file)} (${all} samples)`);
printTop('self time by package or folder', byArea, all, options.top);
printTop('self time by function', byFunction, all, options.top);
