import { createHmac } from 'node:crypto';
import type { ServerContext } from '../context.js';

/** Prefix of a derived signing secret, so that a leaked one is recognisable. */
const DERIVED_SECRET_PREFIX = 'whsec_';

/**
 * Returns the webhook signing secret: TESSERA_WEBHOOK_SIGNING_SECRET when set, else a value
 * derived from the master key, which stays the same across restarts and nodes.
 */
export function webhookSigningSecret(ctx: Pick<ServerContext, 'config' | 'keyMaterial'>): { secret: string; source: 'configured' | 'derived' } {
  if (ctx.config.webhookSigningSecret) return { secret: ctx.config.webhookSigningSecret, source: 'configured' };
  return { secret: `${DERIVED_SECRET_PREFIX}${ctx.keyMaterial.webhookSigningKey.toString('base64url')}`, source: 'derived' };
}

/**
 * Builds the Tessera-Signature header value `t=<unix seconds>,v1=<hex>`, where v1 is
 * HMAC-SHA256 over "<t>.<body>" keyed with the secret's UTF-8 bytes. Receivers recompute it
 * and reject old timestamps, which stops replays.
 */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}
