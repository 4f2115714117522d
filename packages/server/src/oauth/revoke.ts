import type { ServerContext } from '../context.js';
import { insertRevokedToken } from '../storage/revoked-tokens.js';
import { appendRevocations } from '../storage/revocations.js';
import { authenticateClient, extractClientCredentials } from './client-auth.js';
import { requireToken } from './introspect.js';
import { verifySignedToken } from './verify-token.js';

/**
 * RFC 7009 revocation. A client may revoke its own access tokens; for any other token,
 * including unknown and malformed ones, the response is the same 200 and nothing changes.
 */
export async function revoke(
  ctx: ServerContext,
  params: Map<string, string[]>,
  authorization: string | undefined,
  source: { ip: string; userAgent: string | null },
): Promise<void> {
  const caller = await authenticateClient(ctx, extractClientCredentials(authorization, params), source.ip);
  const token = requireToken(params);

  // RFC 7009 §2.1 makes token_type_hint advisory; Tessera issues only access tokens.
  const claims = await verifySignedToken(ctx, token);
  if (!claims || claims.client_id !== caller.account.client_id) return;

  await ctx.audit.transaction(async (trx) => {
    await insertRevokedToken(trx, claims.jti, claims.exp * 1000);
    await appendRevocations(trx, [{ kind: 'token', tokenId: claims.jti, accountId: claims.sub, expiresAt: claims.exp * 1000 }], ctx.clock.now());
    await ctx.audit.writeInTransaction(trx, [
      {
        actor: { type: 'service_account', id: caller.account.id, credentialId: caller.credential.id },
        action: 'token.revoked',
        target: { type: 'token', id: claims.jti },
        source,
        outcome: 'success',
      },
    ]);
  });
}
