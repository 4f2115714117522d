/**
 * Loads the generated rows of bench/admin-scale-data.ts into a database whose schema the
 * server's own migrations created. Rows go straight into the tables in large transactions.
 * The secondary indexes of audit_events are dropped before the load and created again from
 * their stored definitions afterwards, which is much faster than updating them row by row and
 * leaves the same schema behind.
 */
import { hash } from '@node-rs/argon2';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { KeyMaterial } from '../packages/server/src/crypto/master-key.js';
import { openDatabase } from '../packages/server/src/storage/database.js';
import { migrateToLatest } from '../packages/server/src/storage/migrations.js';
import type { AuditEventRow } from '../packages/server/src/storage/tables.js';
import { AuditEventGenerator, type SeedPlan, accountRows, instanceRows } from './admin-scale-data.js';
import { log } from './load.js';

/** The admin that the seeded admin events name, and that the benchmark signs in as. */
export const ADMIN_ID = '00000000-0000-4000-a000-000000000001';
const ARGON2ID = 2;
const ACCOUNT_BATCH = 2_000;
const EVENT_BATCH = 5_000;
const PROGRESS_INTERVAL_MS = 5_000;

export interface SeedResult {
  seconds: number;
  /** Seconds of the whole seed spent creating the audit_events indexes after the load. */
  indexSeconds: number;
}

const AUDIT_COLUMNS = ['seq', 'occurred_at', 'actor_type', 'actor_id', 'credential_id', 'action', 'target_type', 'target_id', 'instance_id', 'source_ip', 'user_agent', 'outcome', 'reason', 'details', 'prev_hash', 'hash'] as const;

/** Writes what the seed has done so far to stderr, at most every PROGRESS_INTERVAL_MS. */
class Progress {
  private readonly started = Date.now();
  private lastReport = 0;
  private lastDone = -1;

  constructor(private readonly label: string) {}

  /** Reports when PROGRESS_INTERVAL_MS has passed, or with `force` unless `done` was just reported. */
  report(done: number, total: number, force = false): void {
    const now = Date.now();
    if (force ? done === this.lastDone : now - this.lastReport < PROGRESS_INTERVAL_MS) return;
    this.lastReport = now;
    this.lastDone = done;
    const seconds = (now - this.started) / 1000;
    const rate = done / Math.max(seconds, 0.001);
    const left = rate > 0 ? Math.round((total - done) / rate) : 0;
    log(`  ${this.label}: ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} rows, ${Math.round(rate).toLocaleString('en-US')} rows/s, about ${left} s left`);
  }
}

async function migrate(url: string): Promise<void> {
  const database = openDatabase(url);
  try {
    await migrateToLatest(database.db);
  } finally {
    await database.close();
  }
}

async function adminRow(password: string, now: number) {
  return { id: ADMIN_ID, username: 'admin', password_hash: await hash(password, { algorithm: ARGON2ID }), role: 'admin', created_at: now, auth_source: 'local', external_subject: null, updated_at: null };
}

function insertSql(table: string, columns: readonly string[], placeholder: (index: number) => string): string {
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, index) => placeholder(index)).join(', ')})`;
}

/** Seeds a SQLite file. The master key must be the one the server later starts with, so that the chain verifies. */
export async function seedSqlite(path: string, plan: SeedPlan, masterKey: Buffer, adminPassword: string): Promise<SeedResult> {
  const started = Date.now();
  await migrate(path);

  const sqlite = new SQLite(path);
  // Durability does not matter for a throwaway load, and the server sets its own pragmas when it opens the file.
  sqlite.pragma('journal_mode = OFF');
  sqlite.pragma('synchronous = OFF');
  sqlite.pragma('cache_size = -512000');
  try {
    const indexes = sqlite.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events' AND sql IS NOT NULL").all() as Array<{ name: string; sql: string }>;
    // DROP INDEX also deletes the index's planner statistics, which the migrations wrote, so they are put back after the load.
    const statistics = sqlite.prepare("SELECT tbl, idx, stat FROM sqlite_stat1 WHERE tbl = 'audit_events' AND idx IS NOT NULL").all() as Array<{ tbl: string; idx: string; stat: string }>;
    for (const index of indexes) sqlite.exec(`DROP INDEX ${index.name}`);

    const instances = instanceRows(plan);
    const insertRow = (table: string, row: Record<string, unknown>) => sqlite.prepare(insertSql(table, Object.keys(row), () => '?')).run(...Object.values(row));
    sqlite.transaction(() => {
      for (const instance of instances) insertRow('instances', { ...instance });
    })();
    insertRow('admins', await adminRow(adminPassword, plan.now - plan.auditSpanMs));

    const accountProgress = new Progress('SQLite accounts');
    for (let start = 0; start < plan.accounts; start += ACCOUNT_BATCH) {
      sqlite.transaction(() => {
        for (let index = start; index < Math.min(plan.accounts, start + ACCOUNT_BATCH); index += 1) {
          const { account, grants, credentials } = accountRows(plan, index, instances);
          insertRow('service_accounts', { ...account });
          for (const grant of grants) insertRow('grants', { ...grant });
          for (const credential of credentials) insertRow('credentials', { ...credential });
        }
      })();
      accountProgress.report(Math.min(plan.accounts, start + ACCOUNT_BATCH), plan.accounts);
    }

    const generator = new AuditEventGenerator(plan, instances, new KeyMaterial(masterKey).auditChainKey, ADMIN_ID);
    const insertEvent = sqlite.prepare(insertSql('audit_events', AUDIT_COLUMNS, () => '?'));
    const insertEvents = sqlite.transaction((rows: AuditEventRow[]) => {
      for (const row of rows) insertEvent.run(...AUDIT_COLUMNS.map((column) => row[column]));
    });
    const eventProgress = new Progress('SQLite audit events');
    for (;;) {
      const rows = generator.batch(EVENT_BATCH * 4);
      if (rows.length === 0) break;
      insertEvents(rows);
      eventProgress.report(generator.generated, plan.events);
    }
    eventProgress.report(generator.generated, plan.events, true);

    const indexStarted = Date.now();
    for (const index of indexes) {
      log(`  SQLite: creating index ${index.name}`);
      sqlite.exec(index.sql);
    }
    const indexSeconds = (Date.now() - indexStarted) / 1000;
    const insertStatistic = sqlite.prepare('INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)');
    for (const row of statistics) insertStatistic.run(row.tbl, row.idx, row.stat);
    sqlite.pragma('journal_mode = WAL');
    return { seconds: (Date.now() - started) / 1000, indexSeconds };
  } finally {
    sqlite.close();
  }
}

/** Builds `INSERT ... SELECT * FROM unnest($1::type[], ...)`, which loads a whole batch in one statement. */
function unnestSql(table: string, columns: Array<[string, string]>): string {
  const arrays = columns.map(([, type], index) => `$${index + 1}::${type}[]`).join(', ');
  return `INSERT INTO ${table} (${columns.map(([name]) => name).join(', ')}) SELECT * FROM unnest(${arrays})`;
}

function columnArrays(rows: Array<Record<string, unknown>>, columns: Array<[string, string]>): unknown[][] {
  return columns.map(([name]) => rows.map((row) => row[name] ?? null));
}

const PG_AUDIT_COLUMNS: Array<[string, string]> = AUDIT_COLUMNS.map((name) => [name, name === 'seq' || name === 'occurred_at' ? 'bigint' : 'text']);

/** Seeds a PostgreSQL database, with two connections so that generating and loading overlap. */
export async function seedPostgres(url: string, plan: SeedPlan, masterKey: Buffer, adminPassword: string): Promise<SeedResult> {
  const started = Date.now();
  await migrate(url);

  const pool = new pg.Pool({ connectionString: url, max: 2, options: '-c synchronous_commit=off' });
  try {
    const indexes = (
      await pool.query<{ indexname: string; indexdef: string }>("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'audit_events' AND indexname NOT IN (SELECT conname FROM pg_constraint)")
    ).rows;
    for (const index of indexes) await pool.query(`DROP INDEX ${index.indexname}`);

    const instances = instanceRows(plan);
    for (const instance of instances) {
      const row = { ...instance } as Record<string, unknown>;
      await pool.query(insertSql('instances', Object.keys(row), (index) => `$${index + 1}`), Object.values(row));
    }
    const admin = (await adminRow(adminPassword, plan.now - plan.auditSpanMs)) as Record<string, unknown>;
    await pool.query(insertSql('admins', Object.keys(admin), (index) => `$${index + 1}`), Object.values(admin));

    const accountProgress = new Progress('PostgreSQL accounts');
    for (let start = 0; start < plan.accounts; start += ACCOUNT_BATCH) {
      const accounts = [];
      const grants = [];
      const credentials = [];
      for (let index = start; index < Math.min(plan.accounts, start + ACCOUNT_BATCH); index += 1) {
        const rows = accountRows(plan, index, instances);
        accounts.push(rows.account);
        grants.push(...rows.grants);
        credentials.push(...rows.credentials);
      }
      await insertUnnest(pool, 'service_accounts', accounts as unknown as Array<Record<string, unknown>>, { created_at: 'bigint', updated_at: 'bigint', last_used_at: 'bigint', review_at: 'bigint', dormant_since: 'bigint', token_generation: 'integer', dpop_bound: 'integer' });
      await insertUnnest(pool, 'grants', grants as unknown as Array<Record<string, unknown>>, {});
      await insertUnnest(pool, 'credentials', credentials as unknown as Array<Record<string, unknown>>, { created_at: 'bigint', expires_at: 'bigint', revoked_at: 'bigint', last_used_at: 'bigint' });
      accountProgress.report(Math.min(plan.accounts, start + ACCOUNT_BATCH), plan.accounts);
    }

    const generator = new AuditEventGenerator(plan, instances, new KeyMaterial(masterKey).auditChainKey, ADMIN_ID);
    const statement = unnestSql('audit_events', PG_AUDIT_COLUMNS);
    const eventProgress = new Progress('PostgreSQL audit events');
    const inFlight = new Set<Promise<unknown>>();
    for (;;) {
      const rows = generator.batch(EVENT_BATCH);
      if (rows.length === 0) break;
      const insert = pool.query(statement, columnArrays(rows as unknown as Array<Record<string, unknown>>, PG_AUDIT_COLUMNS));
      inFlight.add(insert);
      void insert.finally(() => inFlight.delete(insert)).catch(() => undefined);
      if (inFlight.size >= 2) await Promise.race(inFlight);
      eventProgress.report(generator.generated, plan.events);
    }
    await Promise.all(inFlight);
    eventProgress.report(generator.generated, plan.events, true);

    const indexStarted = Date.now();
    // Both connections build one index each at a time.
    await Promise.all(
      [0, 1].map(async (worker) => {
        for (let i = worker; i < indexes.length; i += 2) {
          log(`  PostgreSQL: creating index ${indexes[i].indexname}`);
          await pool.query(indexes[i].indexdef);
        }
      }),
    );
    const indexSeconds = (Date.now() - indexStarted) / 1000;
    // Autovacuum would analyze the new rows within minutes. Doing it now gives the planner its statistics before the measurement.
    await pool.query('VACUUM ANALYZE');
    return { seconds: (Date.now() - started) / 1000, indexSeconds };
  } finally {
    await pool.end();
  }
}

async function insertUnnest(pool: pg.Pool, table: string, rows: Array<Record<string, unknown>>, types: Record<string, string>): Promise<void> {
  if (rows.length === 0) return;
  const columns: Array<[string, string]> = Object.keys(rows[0]).map((name) => [name, types[name] ?? 'text']);
  await pool.query(unnestSql(table, columns), columnArrays(rows, columns));
}
