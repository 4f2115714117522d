import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './tables.js';

export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export async function insertOpaqueToken(db: Kysely<Database>, token: string, claims: Record<string, unknown>, expiresAt: number): Promise<void> {
  await db.insertInto('opaque_tokens').values({ token_hash: hashOpaqueToken(token), claims: JSON.stringify(claims), expires_at: expiresAt }).execute();
}

/** Returns the claims of an opaque token, or undefined when it is unknown. The caller checks expiry. */
export async function findOpaqueToken(db: Kysely<Database>, token: string): Promise<Record<string, unknown> | undefined> {
  const row = await db.selectFrom('opaque_tokens').select('claims').where('token_hash', '=', hashOpaqueToken(token)).executeTakeFirst();
  return row ? (JSON.parse(row.claims) as Record<string, unknown>) : undefined;
}

export async function pruneOpaqueTokens(db: Kysely<Database>, now: number): Promise<void> {
  await db.deleteFrom('opaque_tokens').where('expires_at', '<', now).execute();
}
