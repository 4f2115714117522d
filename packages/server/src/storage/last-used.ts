import type { Kysely } from 'kysely';
import type { Database } from './tables.js';

export interface LastUse {
  accountId: string;
  credentialId: string;
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
    for (const use of uses) {
      await trx
        .updateTable('credentials')
        .set({ last_used_at: use.at, last_used_ip: use.ip })
        .where('id', '=', use.credentialId)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', use.at)]))
        .execute();
      await trx
        .updateTable('service_accounts')
        .set({ last_used_at: use.at, last_used_ip: use.ip })
        .where('id', '=', use.accountId)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', use.at)]))
        .execute();
    }
  });
}
