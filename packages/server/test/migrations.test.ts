import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Migrator } from 'kysely';
import { openDatabase } from '../src/storage/database.js';
import { createMigrator, migrateToLatest } from '../src/storage/migrations.js';

describe('database migrations', () => {
  const directory = mkdtempSync(join(tmpdir(), 'tessera-migrations-'));
  after(() => rmSync(directory, { recursive: true, force: true }));

  it('applies a migration that lands after later-numbered ones were applied', async () => {
    const database = openDatabase(join(directory, 'tessera.db'));
    try {
      const all = await createMigrator(database.db).getMigrations();
      const late = '0007_secretless_credentials';
      assert.ok(all.some((info) => info.name === late));
      assert.ok(all.some((info) => info.name > late), 'a later-numbered migration exists');

      // A database of a build that had every migration but this one, as features land in any order.
      const earlier = Object.fromEntries(all.filter((info) => info.name !== late).map((info) => [info.name, info.migration]));
      const before = new Migrator({ db: database.db, provider: { getMigrations: async () => earlier }, migrationTableName: 'tessera_migrations', migrationLockTableName: 'tessera_migration_lock' });
      const { error } = await before.migrateToLatest();
      assert.equal(error, undefined);

      assert.deepEqual(await migrateToLatest(database.db), [late]);
      assert.deepEqual(await migrateToLatest(database.db), []);
      const columns = (await database.db.introspection.getTables()).find((table) => table.name === 'credentials')!.columns.map((column) => column.name);
      assert.ok(columns.includes('kind') && columns.includes('public_jwk') && columns.includes('jwks_url'));
    } finally {
      await database.close();
    }
  });
});
