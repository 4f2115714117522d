import { MAX_TOKEN_LIFETIME_SECONDS } from '@tessera/shared';
import type { Kysely } from 'kysely';
import type { Database, RevocationRow } from './tables.js';

/**
 * The revocation feed: what resource servers that verify tokens locally must stop accepting.
 * Call appendRevocations before the change removes grants, since each entry records the
 * instances the account has grants on, and the feed shows an entry only to those instances.
 * Entries are appended inside the transaction of the change they describe, which holds the
 * audit chain's lock, so sequence numbers are assigned and committed in one order and a
 * reader that pages by sequence number never skips an entry.
 */
export type RevocationEntry =
  | { kind: 'credential'; accountId: string; credentialId: string; effectiveAt: number }
  | { kind: 'account'; accountId: string; generation: number }
  | { kind: 'account_deleted'; accountId: string }
  | { kind: 'token'; tokenId: string; accountId: string; expiresAt: number };

/** Tokens live at most this long, so an entry older than this matches no valid token. */
const MAX_TOKEN_LIFETIME_MS = MAX_TOKEN_LIFETIME_SECONDS * 1000;

export async function appendRevocations(trx: Kysely<Database>, entries: RevocationEntry[], now: number): Promise<void> {
  if (entries.length === 0) return;

  const tail = await trx.selectFrom('revocations').select('seq').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  let seq = tail ? Number(tail.seq) : 0;

  const accountIds = [...new Set(entries.map((entry) => entry.accountId))];
  const grants = await trx.selectFrom('grants').select(['account_id', 'instance_id']).where('account_id', 'in', accountIds).execute();
  const instancesOf = (accountId: string) => JSON.stringify(grants.filter((grant) => grant.account_id === accountId).map((grant) => grant.instance_id));

  const rows: RevocationRow[] = entries.map((entry) => {
    seq += 1;
    const effectiveAt = entry.kind === 'credential' ? entry.effectiveAt : now;
    return {
      seq,
      kind: entry.kind,
      account_id: entry.accountId,
      credential_id: entry.kind === 'credential' ? entry.credentialId : null,
      token_id: entry.kind === 'token' ? entry.tokenId : null,
      generation: entry.kind === 'account' ? entry.generation : null,
      effective_at: entry.kind === 'credential' ? entry.effectiveAt : null,
      created_at: now,
      expires_at: entry.kind === 'token' ? entry.expiresAt : Math.max(now, effectiveAt) + MAX_TOKEN_LIFETIME_MS,
      instance_ids: instancesOf(entry.accountId),
    };
  });
  await trx.insertInto('revocations').values(rows).execute();
}

/** Entries after a sequence number that can still match a valid token, oldest first, for any instance. */
export function revocationsSince(db: Kysely<Database>, afterSeq: number, now: number, limit: number): Promise<RevocationRow[]> {
  return db.selectFrom('revocations').selectAll().where('seq', '>', afterSeq).where('expires_at', '>', now).orderBy('seq').limit(limit).execute();
}

export async function latestRevocationSeq(db: Kysely<Database>): Promise<number> {
  const tail = await db.selectFrom('revocations').select('seq').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return tail ? Number(tail.seq) : 0;
}

/** Deletes expired entries, but always keeps the newest, so that sequence numbers never restart. */
export async function pruneRevocations(db: Kysely<Database>, now: number): Promise<void> {
  const newest = await latestRevocationSeq(db);
  await db.deleteFrom('revocations').where('expires_at', '<', now).where('seq', '<', newest).execute();
}
