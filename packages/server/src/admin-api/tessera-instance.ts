import { TESSERA_PROFILE_NAME } from '@tessera/shared';
import type { ServerContext } from '../context.js';
import { newId } from '../crypto/secrets.js';
import { findInstance, findInstanceByAudience, insertInstance, updateInstance } from '../storage/instances.js';
import type { InstanceRow } from '../storage/tables.js';
import { instanceView } from './views.js';

/** Slug of the instance that stands for Tessera's own admin API. */
export const TESSERA_INSTANCE_SLUG = 'tessera';

/** Returns the audience of admin API tokens, the issuer's /api/v1 URL. */
export function tesseraAudience(issuer: string): string {
  return `${issuer}/api/v1`;
}

export function isBuiltInInstance(instance: Pick<InstanceRow, 'profile'>): boolean {
  return instance.profile === TESSERA_PROFILE_NAME;
}

type StartContext = Pick<ServerContext, 'config' | 'audit' | 'clock' | 'logger'>;

/**
 * Creates the built-in `tessera` instance, or moves its audience to the current issuer. Runs at
 * every start, inside the audit transaction, whose lock keeps nodes that start together from
 * creating it twice. An instance that admins created earlier with the slug or the audience
 * blocks it; the server then starts without admin API tokens and logs why.
 */
export async function ensureTesseraInstance(ctx: StartContext): Promise<void> {
  const audience = tesseraAudience(ctx.config.issuer);

  const outcome = await ctx.audit.transaction(async (trx) => {
    const existing = await findInstance(trx, TESSERA_INSTANCE_SLUG);
    if (existing && !isBuiltInInstance(existing)) return { blockedBy: existing.slug };
    if (existing && existing.audience === audience) return { changed: false };

    const holder = await findInstanceByAudience(trx, audience);
    if (holder && holder.id !== existing?.id) return { blockedBy: holder.slug };

    const now = ctx.clock.now();
    if (existing) {
      const after: InstanceRow = { ...existing, audience, updated_at: now };
      await updateInstance(trx, after);
      await ctx.audit.writeInTransaction(trx, [
        { actor: { type: 'system' }, action: 'instance.updated', target: { type: 'instance', id: after.id }, instanceId: after.id, outcome: 'success', details: { before: instanceView(existing), after: instanceView(after) } },
      ]);
      return { changed: true };
    }

    const row: InstanceRow = {
      id: newId(),
      slug: TESSERA_INSTANCE_SLUG,
      name: 'Tessera admin API',
      profile: TESSERA_PROFILE_NAME,
      audience,
      access_token_lifetime_seconds: null,
      token_format: 'jwt',
      created_at: now,
      updated_at: now,
    };
    await insertInstance(trx, row);
    await ctx.audit.writeInTransaction(trx, [
      { actor: { type: 'system' }, action: 'instance.created', target: { type: 'instance', id: row.id }, instanceId: row.id, outcome: 'success', details: { after: instanceView(row) } },
    ]);
    return { changed: true };
  });

  if ('blockedBy' in outcome) {
    ctx.logger.error(
      { instance: outcome.blockedBy, audience },
      `the instance "${outcome.blockedBy}" holds the slug "${TESSERA_INSTANCE_SLUG}" or the audience ${audience}, so the built-in tessera instance was not created and the admin API accepts no service-account tokens; delete that instance and restart`,
    );
  } else if (outcome.changed) {
    ctx.logger.info({ audience }, 'set up the built-in tessera instance for admin API tokens');
  }
}
