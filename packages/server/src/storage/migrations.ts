import { installTokenClientTriggers } from './cache-generations.js';
import { type Kysely, type Migration, type MigrationProvider, Migrator, PostgresAdapter, sql } from 'kysely';

/**
 * Schema migrations, in order. Written with Kysely's schema builder so that the same list
 * runs on SQLite and PostgreSQL. A migration never changes once released; add a new one.
 */
function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * Gives SQLite's query planner the typical shape of the audit log, as ANALYZE would record it:
 * rows per distinct value of each index's leading columns. Without statistics SQLite treats an
 * equality on any indexed column as equally selective, and for "events on this account with
 * this action" it may walk the millions of events of the action instead of the few on the
 * account. PostgreSQL collects statistics by itself. A later ANALYZE replaces these figures
 * with measured ones.
 */
async function writeAuditPlannerStatistics(db: Kysely<any>): Promise<void> {
  // ANALYZE on a small table creates sqlite_stat1 when it does not exist yet.
  await sql`analyze tessera_migrations`.execute(db);
  await sql`delete from sqlite_stat1 where tbl = 'audit_events'`.execute(db);
  const statistics: Array<[string | null, string]> = [
    [null, '10000000'],
    ['audit_events_occurred', '10000000 2 1'],
    ['audit_events_actor', '10000000 1000 1'],
    ['audit_events_target', '10000000 100 1'],
    ['audit_events_action', '10000000 200000 1'],
    ['audit_events_instance', '10000000 100000 1'],
    ['audit_events_actor_action', '10000000 1000 100 1'],
  ];
  for (const [index, stat] of statistics) {
    await sql`insert into sqlite_stat1 (tbl, idx, stat) values ('audit_events', ${index}, ${stat})`.execute(db);
  }
  // Makes this connection read the new figures. Other connections read them when they open.
  await sql`analyze sqlite_schema`.execute(db);
}

/** Columns that the account search matches by substring; see applyFilter in storage/accounts.ts. */
const SEARCH_COLUMNS = ['name', 'client_id', 'description', 'owner'];

/**
 * Creates trigram indexes for the account search on PostgreSQL when the pg_trgm extension can
 * be installed, so that `lower(column) like '%text%'` reads the index instead of every account.
 * Installing it needs the CREATE privilege on the database (pg_trgm is a trusted extension from
 * PostgreSQL 13). Without it the search still works, by reading every account.
 */
async function createSearchIndexes(db: Kysely<any>): Promise<void> {
  const available = await sql<{ name: string }>`select name from pg_available_extensions where name = 'pg_trgm'`.execute(db);
  if (available.rows.length === 0) return;

  // A failed CREATE EXTENSION would abort the migration's transaction, so it runs inside a savepoint.
  await sql`savepoint tessera_pg_trgm`.execute(db);
  try {
    await sql`create extension if not exists pg_trgm`.execute(db);
    await sql`release savepoint tessera_pg_trgm`.execute(db);
  } catch {
    await sql`rollback to savepoint tessera_pg_trgm`.execute(db);
    return;
  }
  for (const column of SEARCH_COLUMNS) {
    await sql`create index ${sql.id(`service_accounts_search_${column}`)} on service_accounts using gin (lower(${sql.id(column)}) gin_trgm_ops)`.execute(db);
  }
}

const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('instances')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('slug', 'text', (col) => col.notNull().unique())
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('profile', 'text', (col) => col.notNull())
        .addColumn('audience', 'text', (col) => col.notNull().unique())
        .addColumn('access_token_lifetime_seconds', 'integer')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .execute();

      await db.schema
        .createTable('service_accounts')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('client_id', 'text', (col) => col.notNull().unique())
        .addColumn('name', 'text', (col) => col.notNull().unique())
        .addColumn('description', 'text', (col) => col.notNull())
        .addColumn('owner', 'text', (col) => col.notNull())
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .addColumn('last_used_at', 'bigint')
        .addColumn('last_used_ip', 'text')
        .execute();

      await db.schema
        .createTable('grants')
        .addColumn('account_id', 'text', (col) => col.notNull().references('service_accounts.id').onDelete('cascade'))
        .addColumn('instance_id', 'text', (col) => col.notNull().references('instances.id'))
        .addColumn('scopes', 'text', (col) => col.notNull())
        .addColumn('resources', 'text', (col) => col.notNull())
        .addPrimaryKeyConstraint('grants_pk', ['account_id', 'instance_id'])
        .execute();
      await db.schema.createIndex('grants_instance').on('grants').column('instance_id').execute();

      await db.schema
        .createTable('credentials')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('account_id', 'text', (col) => col.notNull().references('service_accounts.id').onDelete('cascade'))
        .addColumn('secret_hash', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .addColumn('last_used_at', 'bigint')
        .addColumn('last_used_ip', 'text')
        .execute();
      await db.schema.createIndex('credentials_account').on('credentials').column('account_id').execute();

      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (col) => col.primaryKey())
        .addColumn('alg', 'text', (col) => col.notNull())
        .addColumn('public_jwk', 'text', (col) => col.notNull())
        .addColumn('private_key', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('activates_at', 'bigint', (col) => col.notNull())
        .addColumn('retires_at', 'bigint')
        .addColumn('unpublishes_at', 'bigint')
        .execute();

      await db.schema
        .createTable('admins')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('username', 'text', (col) => col.notNull().unique())
        .addColumn('password_hash', 'text', (col) => col.notNull())
        .addColumn('role', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (col) => col.primaryKey())
        .addColumn('admin_id', 'text', (col) => col.notNull().references('admins.id').onDelete('cascade'))
        .addColumn('csrf_token', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .execute();

      await db.schema
        .createTable('audit_events')
        // The writer assigns seq itself; bigint on PostgreSQL, where integer stops at 2^31.
        .addColumn('seq', isPostgres(db) ? 'bigint' : 'integer', (col) => col.primaryKey())
        .addColumn('occurred_at', 'bigint', (col) => col.notNull())
        .addColumn('actor_type', 'text', (col) => col.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('credential_id', 'text')
        .addColumn('action', 'text', (col) => col.notNull())
        .addColumn('target_type', 'text')
        .addColumn('target_id', 'text')
        .addColumn('instance_id', 'text')
        .addColumn('source_ip', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('outcome', 'text', (col) => col.notNull())
        .addColumn('reason', 'text')
        .addColumn('details', 'text')
        .addColumn('prev_hash', 'text', (col) => col.notNull())
        .addColumn('hash', 'text', (col) => col.notNull())
        .execute();
      await db.schema.createIndex('audit_events_occurred').on('audit_events').columns(['occurred_at', 'seq']).execute();
      await db.schema.createIndex('audit_events_actor').on('audit_events').columns(['actor_id', 'seq']).execute();
      await db.schema.createIndex('audit_events_target').on('audit_events').columns(['target_id', 'seq']).execute();
      await db.schema.createIndex('audit_events_action').on('audit_events').columns(['action', 'seq']).execute();

      await db.schema
        .createTable('revoked_tokens')
        .addColumn('jti', 'text', (col) => col.primaryKey())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .execute();

      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (col) => col.primaryKey())
        .addColumn('value', 'text', (col) => col.notNull())
        .execute();
    },
  },
  '0002_token_generation_and_rotation': {
    async up(db: Kysely<any>) {
      // Bumped when an account is disabled or its grant narrowed; tokens carry the value they
      // were issued under, so re-enabling or widening later does not revive them.
      await db.schema.alterTable('service_accounts').addColumn('token_generation', 'integer', (col) => col.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('credentials').addColumn('replaced_by', 'text').execute();
      await db.schema.createIndex('service_accounts_name_lower').unique().on('service_accounts').expression(sql`lower(name)`).execute();
    },
  },
  '0003_revocation_feed': {
    async up(db: Kysely<any>) {
      // What resource servers that verify tokens locally must stop accepting; see storage/revocations.ts.
      await db.schema
        .createTable('revocations')
        .addColumn('seq', isPostgres(db) ? 'bigint' : 'integer', (col) => col.primaryKey())
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('account_id', 'text')
        .addColumn('credential_id', 'text')
        .addColumn('token_id', 'text')
        .addColumn('generation', 'integer')
        .addColumn('effective_at', 'bigint')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .execute();
    },
  },
  '0004_opaque_tokens': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('instances').addColumn('token_format', 'text', (col) => col.notNull().defaultTo('jwt')).execute();
      // Reference tokens: only a hash of the token is stored, with the claims it stands for.
      await db.schema
        .createTable('opaque_tokens')
        .addColumn('token_hash', 'text', (col) => col.primaryKey())
        .addColumn('claims', 'text', (col) => col.notNull())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .execute();
      await db.schema.createIndex('opaque_tokens_expires').on('opaque_tokens').column('expires_at').execute();
    },
  },
  '0005_revocation_instances': {
    async up(db: Kysely<any>) {
      // JSON array of the instances the account had grants on, so the feed shows each product only its own accounts.
      await db.schema.alterTable('revocations').addColumn('instance_ids', 'text').execute();
    },
  },
  '0006_policies_and_account_guardrails': {
    async up(db: Kysely<any>) {
      // One row: the organisation's policy document as JSON, validated by accounts/policy.ts.
      await db.schema
        .createTable('policies')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('document', 'text', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_by', 'text')
        .execute();

      // Who answers for the account and how to reach them, and the account's own guardrails.
      // SQLite adds one column per statement, so each is its own ALTER TABLE.
      const columns: Array<[string, 'text' | 'bigint' | 'integer', string | number | null]> = [
        ['purpose', 'text', ''],
        ['contacts', 'text', '[]'],
        ['review_at', 'bigint', null],
        ['ip_allowlist', 'text', null],
        ['rate_limit', 'text', null],
        ['dpop_bound', 'integer', 0],
        ['dormant_since', 'bigint', null],
      ];
      for (const [name, type, fallback] of columns) {
        await db.schema
          .alterTable('service_accounts')
          .addColumn(name, type, (col) => (fallback === null ? col : col.notNull().defaultTo(fallback)))
          .execute();
      }
    },
  },
  '0007_secretless_credentials': {
    async up(db: Kysely<any>) {
      // A credential is a client secret (kind 'secret', the default for existing rows) or a
      // public key for private_key_jwt ('public_key'), given inline as a JWK or as a JWKS URL.
      // Key credentials store an empty secret_hash, which no presented secret can match.
      await db.schema.alterTable('credentials').addColumn('kind', 'text', (col) => col.notNull().defaultTo('secret')).execute();
      await db.schema.alterTable('credentials').addColumn('public_jwk', 'text').execute();
      await db.schema.alterTable('credentials').addColumn('jwks_url', 'text').execute();

      // Trust rules: tokens of an outside workload identity issuer that a service account accepts.
      await db.schema
        .createTable('federations')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('account_id', 'text', (col) => col.notNull().references('service_accounts.id').onDelete('cascade'))
        .addColumn('issuer', 'text', (col) => col.notNull())
        .addColumn('jwks_url', 'text')
        .addColumn('subject', 'text')
        .addColumn('subject_pattern', 'text')
        .addColumn('audience', 'text', (col) => col.notNull())
        .addColumn('claims', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('last_used_at', 'bigint')
        .addColumn('last_used_ip', 'text')
        .execute();
      await db.schema.createIndex('federations_issuer').on('federations').column('issuer').execute();
      await db.schema.createIndex('federations_account').on('federations').column('account_id').execute();

      // JWT ids already presented in assertions, kept until the assertion expires, so that
      // every node refuses a replay.
      await db.schema
        .createTable('used_assertions')
        .addColumn('key', 'text', (col) => col.primaryKey())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .execute();
      await db.schema.createIndex('used_assertions_expires').on('used_assertions').column('expires_at').execute();
    },
  },
  '0008_notifications': {
    async up(db: Kysely<any>) {
      // One row per message to one contact; see notify/ for when rows are added and sent.
      await db.schema
        .createTable('notification_deliveries')
        .addColumn('id', 'text', (col) => col.primaryKey())
        // Unique, so that nodes racing to add the same message insert it only once.
        .addColumn('dedupe_key', 'text', (col) => col.notNull().unique())
        .addColumn('event_type', 'text', (col) => col.notNull())
        .addColumn('account_id', 'text', (col) => col.notNull())
        .addColumn('credential_id', 'text')
        .addColumn('channel', 'text', (col) => col.notNull())
        .addColumn('target', 'text', (col) => col.notNull())
        .addColumn('payload', 'text', (col) => col.notNull())
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint')
        .addColumn('last_error', 'text')
        .addColumn('last_status_code', 'integer')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .addColumn('delivered_at', 'bigint')
        .execute();
      await db.schema.createIndex('notification_deliveries_due').on('notification_deliveries').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('notification_deliveries_account').on('notification_deliveries').columns(['account_id', 'created_at']).execute();
      await db.schema.createIndex('notification_deliveries_created').on('notification_deliveries').columns(['created_at', 'id']).execute();

      // When the contacts of an account were warned that it is about to become dormant, once per idle period.
      await db.schema
        .createTable('dormancy_warnings')
        .addColumn('account_id', 'text', (col) => col.notNull())
        .addColumn('idle_since', 'bigint', (col) => col.notNull())
        .addColumn('warned_at', 'bigint', (col) => col.notNull())
        .addPrimaryKeyConstraint('dormancy_warnings_pk', ['account_id', 'idle_since'])
        .execute();
    },
  },
  '0009_dpop_proofs': {
    async up(db: Kysely<any>) {
      // DPoP proofs the token endpoint accepted, so that every node rejects a replayed one (RFC 9449 §11.1).
      await db.schema
        .createTable('dpop_proofs')
        .addColumn('jti_hash', 'text', (col) => col.primaryKey())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .execute();
      await db.schema.createIndex('dpop_proofs_expires').on('dpop_proofs').column('expires_at').execute();
    },
  },
  '0010_audit_sinks_and_retention': {
    async up(db: Kysely<any>) {
      const seqType = isPostgres(db) ? 'bigint' : 'integer';

      // Outside systems that receive the audit log; see audit/sinks/. cursor_seq is the last
      // delivered event, and the lease lets one node at a time deliver a sink.
      await db.schema
        .createTable('audit_sinks')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('name', 'text', (col) => col.notNull().unique())
        .addColumn('type', 'text', (col) => col.notNull())
        .addColumn('settings', 'text', (col) => col.notNull())
        .addColumn('secret', 'text')
        .addColumn('enabled', 'integer', (col) => col.notNull())
        .addColumn('cursor_seq', seqType, (col) => col.notNull())
        .addColumn('failures', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint')
        .addColumn('last_attempt_at', 'bigint')
        .addColumn('last_delivered_at', 'bigint')
        .addColumn('last_error', 'text')
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', 'bigint')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .execute();

      // Signed records of pruned stretches of the audit chain, so that the remaining chain
      // still verifies from a known hash.
      await db.schema
        .createTable('audit_checkpoints')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('seq', seqType, (col) => col.notNull().unique())
        .addColumn('hash', 'text', (col) => col.notNull())
        .addColumn('first_seq', seqType, (col) => col.notNull())
        .addColumn('pruned_count', 'integer', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('key_id', 'text', (col) => col.notNull())
        .addColumn('signature', 'text', (col) => col.notNull())
        .execute();
    },
  },
  '0011_seats_and_migration': {
    async up(db: Kysely<any>) {
      // The latest licensed-user count of each instance, reported by the product or set by an admin.
      await db.schema
        .createTable('instance_seats')
        .addColumn('instance_id', 'text', (col) => col.primaryKey().references('instances.id').onDelete('cascade'))
        .addColumn('licensed_users', 'integer', (col) => col.notNull())
        .addColumn('active_users', 'integer')
        .addColumn('source', 'text', (col) => col.notNull())
        .addColumn('reported_by', 'text')
        .addColumn('reported_at', 'bigint', (col) => col.notNull())
        .addColumn('changed_at', 'bigint', (col) => col.notNull())
        .addColumn('audited_at', 'bigint', (col) => col.notNull())
        .execute();

      // An uploaded export of human accounts and one proposed service account per human account.
      await db.schema
        .createTable('migration_imports')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('format', 'text', (col) => col.notNull())
        .addColumn('account_count', 'integer', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('created_by', 'text', (col) => col.notNull())
        .execute();

      await db.schema
        .createTable('migration_proposals')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('import_id', 'text', (col) => col.notNull().references('migration_imports.id').onDelete('cascade'))
        .addColumn('position', 'integer', (col) => col.notNull())
        .addColumn('source', 'text', (col) => col.notNull())
        .addColumn('proposal', 'text', (col) => col.notNull())
        .addColumn('problems', 'text', (col) => col.notNull())
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('decided_at', 'bigint')
        .addColumn('decided_by', 'text')
        .addColumn('account_id', 'text')
        .execute();
      await db.schema.createIndex('migration_proposals_import').on('migration_proposals').columns(['import_id', 'position']).execute();

      // Which human account became which service account. No foreign key to the account,
      // because the record stays true after the account is deleted.
      await db.schema
        .createTable('migration_mappings')
        .addColumn('proposal_id', 'text', (col) => col.primaryKey())
        .addColumn('import_id', 'text', (col) => col.notNull())
        .addColumn('source_name', 'text', (col) => col.notNull())
        .addColumn('source_email', 'text', (col) => col.notNull())
        .addColumn('account_id', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .execute();
      await db.schema.createIndex('migration_mappings_email').on('migration_mappings').column('source_email').execute();
    },
  },
  '0012_delegated_administration': {
    async up(db: Kysely<any>) {
      // Instances an admin with the instance-admin role manages; other roles ignore it.
      await db.schema
        .createTable('admin_instances')
        .addColumn('admin_id', 'text', (col) => col.notNull().references('admins.id').onDelete('cascade'))
        .addColumn('instance_id', 'text', (col) => col.notNull().references('instances.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('admin_instances_pk', ['admin_id', 'instance_id'])
        .execute();

      // Admins signed in through an OpenID Connect provider have no local password: their
      // password_hash is empty, which no password verifies against.
      await db.schema.alterTable('admins').addColumn('auth_source', 'text', (col) => col.notNull().defaultTo('local')).execute();
      await db.schema.alterTable('admins').addColumn('external_subject', 'text').execute();
      await db.schema.alterTable('admins').addColumn('updated_at', 'bigint').execute();
      await db.schema.createIndex('admins_external_subject').unique().on('admins').column('external_subject').execute();
    },
  },
  '0014_idempotency_keys': {
    async up(db: Kysely<any>) {
      // One row per Idempotency-Key of a caller. The primary key makes claiming a key atomic
      // across nodes; response_status stays null while the first request is in flight.
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('owner', 'text', (col) => col.notNull())
        .addColumn('idempotency_key', 'text', (col) => col.notNull())
        .addColumn('fingerprint', 'text', (col) => col.notNull())
        .addColumn('lock_id', 'text')
        .addColumn('locked_at', 'bigint')
        .addColumn('response_status', 'integer')
        .addColumn('response_body', 'text')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['owner', 'idempotency_key'])
        .execute();
      await db.schema.createIndex('idempotency_keys_expiry').on('idempotency_keys').column('expires_at').execute();
    },
  },
  '0015_admin_list_indexes': {
    async up(db: Kysely<any>) {
      // Indexing a large audit log takes minutes, far beyond the server's statement timeout.
      // SET LOCAL ends with the migration's transaction. NOTE: the audit_events indexes block
      // writes to the table while they are built, so tokens wait for them on a running cluster.
      if (isPostgres(db)) await sql`set local statement_timeout = 0`.execute(db);

      // The account list sorts by these keys, and by name through the unique index on name.
      // The expression must stay the same as SORT_COLUMNS.lastUsedAt in storage/accounts.ts,
      // or the planner cannot use the index.
      await db.schema.createIndex('service_accounts_created').on('service_accounts').columns(['created_at', 'id']).execute();
      await db.schema.createIndex('service_accounts_last_used').on('service_accounts').expression(sql`coalesce(last_used_at, 0), id`).execute();

      // Audit events of one instance, and of one actor with one action, newest first.
      await db.schema.createIndex('audit_events_instance').on('audit_events').columns(['instance_id', 'seq']).execute();
      await db.schema.createIndex('audit_events_actor_action').on('audit_events').columns(['actor_id', 'action', 'seq']).execute();

      if (isPostgres(db)) await createSearchIndexes(db);
      else await writeAuditPlannerStatistics(db);
    },
  },
  '0016_token_client_generation': {
    async up(db: Kysely<any>) {
      // Nodes keep accounts, credentials, grants and instances in memory for the token
      // endpoint, and compare this counter before each use. A later migration that adds a
      // column to one of these tables must call installTokenClientTriggers again.
      await installTokenClientTriggers(db, isPostgres(db));
    },
  },
};

const provider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};

/**
 * Features built side by side take their migration numbers in advance and land in any order,
 * so a database may already have later numbers when an earlier one arrives. Such migrations
 * touch separate tables and columns, so they run in the order they arrive.
 */
export function createMigrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider, migrationTableName: 'tessera_migrations', migrationLockTableName: 'tessera_migration_lock', allowUnorderedMigrations: true });
}

/** Applies every pending migration and returns the names applied; throws with the failing one. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const { error, results } = await createMigrator(db).migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');

  if (error) {
    const name = failed ? ` "${failed.migrationName}"` : '';
    throw new Error(`Database migration${name} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
