/**
 * Child processes of the cluster benchmark: `tessera serve` nodes and one nginx in front of
 * them. Both bind 127.0.0.1 only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild } from './child-processes.js';

const TESSERA_CLI = fileURLToPath(new URL('../packages/server/bin/tessera.js', import.meta.url));
const START_TIMEOUT_MS = 60_000;
/** Bytes of a child's output kept for error messages. */
const OUTPUT_LIMIT = 20_000;

/** Returns a loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Polls `check` every 100 ms until it returns true, the process exits or START_TIMEOUT_MS passes. */
async function waitUntilReady(check: () => Promise<boolean>, name: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited (exit code ${child.exitCode}, signal ${child.signalCode}) before it was ready. Its output: ${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} was not ready within ${START_TIMEOUT_MS / 1000} s. Its output: ${output()}`);
}

function collectOutput(child: ChildProcess): () => string {
  let output = '';
  const append = (chunk: Buffer) => {
    if (output.length < OUTPUT_LIMIT) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return () => output.slice(0, OUTPUT_LIMIT);
}

export interface TesseraNode {
  name: string;
  url: string;
  child: ChildProcess;
  output: () => string;
}

/**
 * Starts `tessera serve` on 127.0.0.1 with the given TESSERA_* variables and waits until
 * /readyz returns 200. The node logs at level warn, and its output is kept for errors.
 */
export async function startTesseraNode(name: string, env: Record<string, string>): Promise<TesseraNode> {
  const port = await freePort();
  const child = spawn(process.execPath, [TESSERA_CLI, 'serve'], {
    env: { ...process.env, TESSERA_HOST: '127.0.0.1', TESSERA_PORT: String(port), TESSERA_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(async () => (await fetch(`${url}/readyz`)).status === 200, name, child, output);
  } catch (error) {
    await stopChild(child, name);
    throw error;
  }
  return { name, url, child, output };
}

export interface NginxUpstream {
  /** The upstream block's name, which must be a valid nginx identifier. */
  name: string;
  /** Base URLs of the Tessera nodes, such as http://127.0.0.1:8080. */
  servers: string[];
  port: number;
}

export interface Nginx {
  child: ChildProcess;
  /** Base URL per upstream name. */
  urls: Map<string, string>;
  stop(): Promise<void>;
}

/**
 * Writes a configuration with one round-robin upstream and one listening port per entry of
 * `upstreams`, all served by the same single worker process.
 *
 * Upstream connections are kept alive, and neither side closes a keep-alive connection after
 * a number of requests, so that a run measures requests and not connection set-up. Every
 * response carries X-Upstream, the address of the node that served it.
 */
function nginxConfig(directory: string, upstreams: NginxUpstream[], keepaliveConnections: number): string {
  const upstreamBlocks = upstreams.map(
    (upstream) => `  upstream ${upstream.name} {
${upstream.servers.map((url) => `    server ${new URL(url).host};`).join('\n')}
    keepalive ${keepaliveConnections};
    keepalive_requests 1000000;
  }`,
  );
  const serverBlocks = upstreams.map(
    (upstream) => `  server {
    listen 127.0.0.1:${upstream.port};
    location / {
      proxy_pass http://${upstream.name};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      add_header X-Upstream $upstream_addr always;
    }
  }`,
  );

  return `worker_processes 1;
pid ${directory}/nginx.pid;
error_log ${directory}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path ${directory}/body;
  proxy_temp_path ${directory}/proxy;
  fastcgi_temp_path ${directory}/fastcgi;
  uwsgi_temp_path ${directory}/uwsgi;
  scgi_temp_path ${directory}/scgi;
${upstreamBlocks.join('\n')}
${serverBlocks.join('\n')}
}
`;
}

/**
 * Starts nginx in the foreground with its own prefix, configuration and logs in a temporary
 * folder, and waits until every port returns /healthz through its upstream.
 */
export async function startNginx(nginxPath: string, upstreams: NginxUpstream[], keepaliveConnections: number): Promise<Nginx> {
  const directory = mkdtempSync(join(tmpdir(), 'tessera-bench-nginx-'));
  const configPath = join(directory, 'nginx.conf');
  writeFileSync(configPath, nginxConfig(directory, upstreams, keepaliveConnections));

  // -e sets the error log before the configuration is read, so nothing is written to /var/log.
  const child = spawn(nginxPath, ['-p', directory, '-e', join(directory, 'error.log'), '-c', configPath, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const startOutput = collectOutput(child);
  const output = () => {
    let errorLog = '';
    try {
      errorLog = readFileSync(join(directory, 'error.log'), 'utf8').slice(-OUTPUT_LIMIT);
    } catch {
      // No error log yet.
    }
    return `${startOutput()}${errorLog}`;
  };
  const started = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) => reject(new Error(`starting ${nginxPath} failed: ${error.message}`)));
  });
  const stop = async () => {
    // SIGQUIT is nginx's graceful shutdown.
    await stopChild(child, 'nginx', 'SIGQUIT');
    rmSync(directory, { recursive: true, force: true });
  };

  const urls = new Map(upstreams.map((upstream) => [upstream.name, `http://127.0.0.1:${upstream.port}`]));
  try {
    await started;
    for (const url of urls.values()) {
      await waitUntilReady(async () => (await fetch(`${url}/healthz`)).status === 200, `nginx on ${url}`, child, output);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { child, urls, stop };
}
