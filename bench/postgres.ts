/**
 * A fresh PostgreSQL database for one benchmark run, on a server the caller names, and the
 * pid of that server's postmaster for CPU sampling.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { parentPid } from './cpu.js';
import { requireLoopbackUrl } from './load.js';

/** The only names this module creates, and so the only ones it drops. */
const BENCH_DATABASE_NAME = /^tessera_(bench|scale)_[0-9a-f]{16}$/;

export interface BenchDatabase {
  name: string;
  /** The server URL with the new database as its path. */
  url: string;
  /** Drops the database, ending any session still connected to it. */
  drop(): Promise<void>;
}

async function withClient<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a database named tessera_bench_<16 hex digits> (or tessera_scale_… with that prefix)
 * through `adminUrl`, which must name a loopback server and a role that may create databases.
 */
export async function createBenchDatabase(adminUrl: string, prefix: 'tessera_bench' | 'tessera_scale' = 'tessera_bench'): Promise<BenchDatabase> {
  const url = requireLoopbackUrl('postgres', adminUrl);
  const name = `${prefix}_${randomBytes(8).toString('hex')}`;
  // The name is generated above from hex digits, so it needs no quoting.
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));

  url.pathname = `/${name}`;
  return {
    name,
    url: url.href,
    async drop() {
      if (!BENCH_DATABASE_NAME.test(name)) throw new Error(`Refusing to drop "${name}", which this benchmark did not create.`);
      await withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

function readProcessName(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * Returns the pid of the postmaster, the parent of every PostgreSQL process, or null when the
 * server runs where this machine's /proc cannot see it, such as in a container.
 */
export async function findPostmasterPid(adminUrl: string): Promise<number | null> {
  return withClient(adminUrl, async (client) => {
    const backendPid = Number((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    // A server in another pid namespace reports a pid that means another process here.
    if (readProcessName(backendPid) !== 'postgres') return null;
    // Read while the backend runs, because it exits when the client disconnects.
    const postmasterPid = parentPid(backendPid);
    return postmasterPid !== null && postmasterPid > 1 ? postmasterPid : null;
  });
}

/**
 * Reads the audit log of a Tessera database directly, to count how many audit events each
 * commit of the group commit carried. Every audit batch commits in one transaction, and each
 * row's xmin is the id of the transaction that inserted it.
 */
export class AuditCommitProbe {
  private constructor(private readonly client: pg.Client) {}

  static async open(databaseUrl: string): Promise<AuditCommitProbe> {
    const client = new pg.Client({ connectionString: databaseUrl, application_name: 'tessera-bench-probe' });
    await client.connect();
    return new AuditCommitProbe(client);
  }

  async latestSeq(): Promise<number> {
    const result = await this.client.query('SELECT coalesce(max(seq), 0) AS seq FROM audit_events');
    return Number(result.rows[0].seq);
  }

  /** Returns the events with a sequence number in (afterSeq, toSeq] and the transactions that inserted them. */
  async countCommits(afterSeq: number, toSeq: number): Promise<{ events: number; commits: number }> {
    const result = await this.client.query('SELECT count(*) AS events, count(DISTINCT xmin::text) AS commits FROM audit_events WHERE seq > $1 AND seq <= $2', [afterSeq, toSeq]);
    return { events: Number(result.rows[0].events), commits: Number(result.rows[0].commits) };
  }

  close(): Promise<void> {
    return this.client.end();
  }
}
