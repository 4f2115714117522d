import type { Kysely } from 'kysely';
import type { Database } from './tables.js';

export interface LastUse {
  accountId: string;
  /** The credential, or the federation for a token obtained with an outside token. */
  credentialId: string;
  /**
   * Which table credentialId names. Usage reports from resource servers only know the token's
   * credential_id, which may be a federation's id; without `via` both tables are tried.
   */
  via?: 'credential' | 'federation';
  at: number;
  ip: string | null;
}

/**
 * Writes a batch of last-used records in one transaction. A record only moves a time forward,
 * so batches from several nodes merge to the latest value whatever order they arrive in.
 */
export async function writeLastUses(db: Kysely<Database>, uses: LastUse[]): Promise<void> {
  if (uses.length === 0) return;

  await db.transaction().execute(async (trx) => {
    const touch = async (table: 'credentials' | 'federations', use: LastUse) => {
      const result = await trx
        .updateTable(table)
        .set({ last_used_at: use.at, last_used_ip: use.ip })
        .where('id', '=', use.credentialId)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', use.at)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    };
    for (const use of uses) {
      const updated = await touch(use.via === 'federation' ? 'federations' : 'credentials', use);
      if (use.via === undefined && updated === 0) await touch('federations', use);
      await trx
        .updateTable('service_accounts')
        .set({ last_used_at: use.at, last_used_ip: use.ip })
        .where('id', '=', use.accountId)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', use.at)]))
        .execute();
    }
  });
}
