import { type Kysely, sql } from 'kysely';

/**
 * A counter in the database that triggers raise whenever a row that token requests read
 * changes, by any writer: this node, another node or a command line run against the same
 * database. A node may keep such rows in memory while the counter stays the same.
 */
export const TOKEN_CLIENTS_GENERATION = 'token_clients';

/** Tables whose rows the token endpoint keeps in memory. */
export const TOKEN_CLIENT_TABLES = ['service_accounts', 'credentials', 'grants', 'instances'] as const;

/** Columns that the last-used tracker writes on every flush; they do not affect token requests. */
export const UNTRACKED_COLUMNS = ['last_used_at', 'last_used_ip'];

const BUMP = `update cache_generations set generation = generation + 1 where name = '${TOKEN_CLIENTS_GENERATION}'`;

export function triggerName(table: string, event: 'insert' | 'update' | 'delete'): string {
  return `${table}_${event}_bumps_token_clients`;
}

async function columnsOf(db: Kysely<any>, table: string, postgres: boolean): Promise<string[]> {
  if (postgres) {
    const rows = await sql<{ column_name: string }>`select column_name from information_schema.columns where table_schema = current_schema() and table_name = ${table} order by ordinal_position`.execute(db);
    return rows.rows.map((row) => row.column_name);
  }
  const rows = await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db);
  return rows.rows.map((row) => row.name);
}

/**
 * Creates the counter and, on each token client table, triggers that raise it on insert,
 * delete and an update of any column but the last-used ones. Running it again after a
 * migration adds columns replaces the triggers, so that the new columns are covered.
 */
export async function installTokenClientTriggers(db: Kysely<any>, postgres: boolean): Promise<void> {
  await sql`create table if not exists cache_generations (name text primary key, generation bigint not null)`.execute(db);
  await sql`insert into cache_generations (name, generation) values (${TOKEN_CLIENTS_GENERATION}, 0) on conflict (name) do nothing`.execute(db);

  if (postgres) {
    await sql.raw(`create or replace function tessera_bump_token_clients() returns trigger language plpgsql as $$ begin ${BUMP}; return null; end $$`).execute(db);
  }

  for (const table of TOKEN_CLIENT_TABLES) {
    const tracked = (await columnsOf(db, table, postgres)).filter((column) => !UNTRACKED_COLUMNS.includes(column));
    const updateOf = `update of ${tracked.map((column) => `"${column}"`).join(', ')}`;

    for (const [event, timing] of [['insert', 'insert'], ['update', updateOf], ['delete', 'delete']] as const) {
      const name = triggerName(table, event);
      if (postgres) {
        await sql.raw(`drop trigger if exists ${name} on ${table}`).execute(db);
        // One raise per statement is enough, and cheaper than one per row in bulk changes.
        await sql.raw(`create trigger ${name} after ${timing} on ${table} for each statement execute function tessera_bump_token_clients()`).execute(db);
      } else {
        await sql.raw(`drop trigger if exists ${name}`).execute(db);
        await sql.raw(`create trigger ${name} after ${timing} on ${table} begin ${BUMP}; end`).execute(db);
      }
    }
  }
}
