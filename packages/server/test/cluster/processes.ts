import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../bin/tessera.js', import.meta.url));

/** Returns a loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function waitFor(check: () => Promise<boolean>, describe: () => string, exited: () => boolean = () => false, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    if (exited()) throw new Error(`${describe()} exited before it was ready`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe()}`);
}

export interface NodeProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts `tessera serve` as a child process on 127.0.0.1 and waits until /readyz returns 200. */
export async function startNode(env: Record<string, string>): Promise<NodeProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'serve'], {
    env: { ...process.env, TESSERA_HOST: '127.0.0.1', TESSERA_PORT: String(port), TESSERA_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));

  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => (await fetch(`${url}/readyz`)).status === 200,
    () => `the node on port ${port} (its output: ${output.slice(0, 2000)})`,
    () => child.exitCode !== null,
  );

  return {
    url,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface Nginx {
  url: string;
  stop(): Promise<void>;
}

/** Starts nginx from Debian's package as a round-robin load balancer in front of the nodes. */
export async function startNginx(upstreams: string[], port?: number): Promise<Nginx> {
  const listenPort = port ?? (await freePort());
  const directory = mkdtempSync(join(tmpdir(), 'tessera-nginx-'));
  const servers = upstreams.map((url) => `    server ${new URL(url).host};`).join('\n');
  writeFileSync(
    join(directory, 'nginx.conf'),
    `worker_processes 1;
pid ${directory}/nginx.pid;
error_log ${directory}/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${directory}/body;
  proxy_temp_path ${directory}/proxy;
  fastcgi_temp_path ${directory}/fastcgi;
  uwsgi_temp_path ${directory}/uwsgi;
  scgi_temp_path ${directory}/scgi;
  upstream tessera {
${servers}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${listenPort};
    location / {
      proxy_pass http://tessera;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
}
`,
  );

  const child = spawn('nginx', ['-p', directory, '-c', join(directory, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${listenPort}`;
  await waitFor(
    async () => (await fetch(`${url}/healthz`)).status === 200,
    () => 'nginx',
    () => child.exitCode !== null,
  );

  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGQUIT');
        await exited;
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * A PostgreSQL cluster of the test's own, which the test may stop and start. initdb refuses
 * to run as root, so the cluster belongs to the postgres user, as Debian's package sets up.
 */
export class ThrowawayPostgres {
  readonly url: string;
  private readonly bin: string;

  private constructor(
    private readonly directory: string,
    readonly port: number,
  ) {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b));
    this.bin = `/usr/lib/postgresql/${versions.at(-1)}/bin`;
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  static async create(): Promise<ThrowawayPostgres> {
    const directory = mkdtempSync(join(tmpdir(), 'tessera-pg-'));
    const postgresUid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(directory, postgresUid, postgresUid);

    const cluster = new ThrowawayPostgres(directory, await freePort());
    cluster.runAsPostgres(`${cluster.bin}/initdb`, ['-D', join(directory, 'data'), '-U', 'postgres', '--auth=trust']);
    cluster.start();
    return cluster;
  }

  private runAsPostgres(command: string, args: string[]): void {
    const result = spawnSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout}`);
  }

  start(): void {
    this.runAsPostgres(`${this.bin}/pg_ctl`, [
      '-D',
      join(this.directory, 'data'),
      '-l',
      join(this.directory, 'server.log'),
      '-w',
      '-o',
      `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.directory}`,
      'start',
    ]);
  }

  /** Stops the server at once, as a crash or an outage would. */
  stop(): void {
    this.runAsPostgres(`${this.bin}/pg_ctl`, ['-D', join(this.directory, 'data'), '-m', 'immediate', '-w', 'stop']);
  }

  destroy(): void {
    spawnSync('runuser', ['-u', 'postgres', '--', `${this.bin}/pg_ctl`, '-D', join(this.directory, 'data'), '-m', 'immediate', 'stop'], { encoding: 'utf8' });
    spawnSync('rm', ['-rf', this.directory]);
  }
}
