import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './tables.js';

export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export async function insertOpaqueToken(db: Kysely<Database>, token: string, claims: Record<string, unknown>, expiresAt: number): Promise<void> {
  await db.insertInto('opaque_tokens').values({ token_hash: hashOpaqueToken(token), claims: JSON.stringify(claims), expires_at: expiresAt }).execute();
}

export async function pruneOpaqueTokens(db: Kysely<Database>, now: number): Promise<void> {
  await db.deleteFrom('opaque_tokens').where('expires_at', '<', now).execute();
}
