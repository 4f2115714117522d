import { ACCESS_TOKEN_TYPE, CLAIMS, findProfile, type ResourceRestrictions } from '@tessera/shared';
import { type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { tokenFitsGrant } from '../accounts/access.js';
import type { ServerContext } from '../context.js';
import { findFederation } from '../storage/federations.js';
import { OPAQUE_TOKEN_PREFIX } from '../crypto/secrets.js';
import { hashOpaqueToken } from '../storage/opaque-tokens.js';
import type { InstanceRow, ServiceAccountRow } from '../storage/tables.js';
import { type TokenClientRows, parsedGrant } from '../storage/token-clients.js';

export interface AccessTokenClaims extends JWTPayload {
  sub: string;
  aud: string;
  jti: string;
  exp: number;
  iat: number;
  client_id: string;
  scope: string;
  credential_id: string;
  instance: string;
  resources: ResourceRestrictions;
  generation?: number;
  /** Set on a DPoP-bound token: the RFC 7638 thumbprint of the client's key. */
  cnf?: { jkt: string };
}

/**
 * Checks a token's signature, type, issuer and lifetime against this server's keys, or looks
 * up an opaque token. Returns undefined for anything that is not a valid, unexpired Tessera
 * access token.
 */
export async function verifySignedToken(ctx: ServerContext, token: string): Promise<AccessTokenClaims | undefined> {
  const remembered = ctx.verifiedTokens.get(token);
  if (remembered) {
    // The same checks as below, but for the signature or the lookup: its key must still be published.
    const keyPublished = remembered.kid === null || ctx.keyRing.findPublicKey(remembered.kid) !== undefined;
    return keyPublished && remembered.claims.iss === ctx.config.issuer && remembered.claims.exp * 1000 > ctx.clock.now() ? remembered.claims : undefined;
  }
  if (token.startsWith(OPAQUE_TOKEN_PREFIX)) return resolveOpaqueToken(ctx, token);

  try {
    const { payload, protectedHeader } = await jwtVerify(
      token,
      async (header) => {
        const key = header.kid ? await ctx.keyRing.findPublicKeyOrReload(header.kid) : undefined;
        if (!key) throw new joseErrors.JWKSNoMatchingKey();
        return key.publicKey;
      },
      {
        issuer: ctx.config.issuer,
        typ: ACCESS_TOKEN_TYPE,
        algorithms: ['ES256'],
        currentDate: new Date(ctx.clock.now()),
        requiredClaims: ['sub', 'aud', 'jti', 'exp', 'iat', CLAIMS.clientId, CLAIMS.credentialId],
      },
    );
    const claims = payload as AccessTokenClaims;
    ctx.verifiedTokens.remember(token, protectedHeader.kid!, claims);
    return claims;
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) return undefined;
    throw error;
  }
}

/**
 * Looks up an opaque token's claims and checks its lifetime as JWT verification would. A
 * stored token never changes and is deleted only after it expires, so its claims are
 * remembered like a verified signature. Revocation is checked apart from them.
 */
async function resolveOpaqueToken(ctx: ServerContext, token: string): Promise<AccessTokenClaims | undefined> {
  const stored = await ctx.hotReads.opaqueTokenClaims(hashOpaqueToken(token));
  if (stored === undefined) return undefined;

  const claims = JSON.parse(stored) as AccessTokenClaims;
  if (claims.iss !== ctx.config.issuer || claims.exp * 1000 <= ctx.clock.now()) return undefined;
  ctx.verifiedTokens.remember(token, null, claims);
  return claims;
}

/** Tells whether the credential, or for a federated token the federation, that obtained a token is still live. */
async function authenticatorIsLive(ctx: ServerContext, client: TokenClientRows, id: string): Promise<boolean> {
  const credential = client.credentials.find((candidate) => candidate.id === id);
  if (credential) return credential.revoked_at === null && (credential.expires_at === null || Number(credential.expires_at) > ctx.clock.now());
  const federation = await findFederation(ctx.db, client.account.id, id);
  return federation !== undefined && federation.revoked_at === null;
}

export interface ActiveToken {
  claims: AccessTokenClaims;
  account: ServiceAccountRow;
  instance: InstanceRow;
}

/**
 * Decides whether a verified token is still active: not revoked, its account active, its
 * credential live, and its scopes and restrictions still inside the account's current grant.
 * `counterRead` passes on to TokenClientCache.account().
 */
export async function checkTokenState(ctx: ServerContext, claims: AccessTokenClaims, counterRead = false): Promise<ActiveToken | undefined> {
  if (await ctx.hotReads.isTokenRevoked(claims.jti)) return undefined;

  const client = await ctx.tokenClients.account(claims.sub, counterRead);
  if (!client || client.account.status !== 'active') return undefined;
  const { account } = client;
  if ((claims.generation ?? 0) !== Number(account.token_generation)) return undefined;

  if (!(await authenticatorIsLive(ctx, client, claims.credential_id))) return undefined;

  const instance = client.instances.find((candidate) => candidate.audience === claims.aud);
  const profile = instance && findProfile(instance.profile);
  const grantRow = instance && client.grants.find((grant) => grant.instance_id === instance.id);
  if (!instance || !profile || !grantRow) return undefined;

  const grant = { instanceId: instance.id, instanceSlug: instance.slug, ...parsedGrant(grantRow) };
  const scopes = claims.scope.split(' ').filter((scope) => scope !== '');
  if (!tokenFitsGrant(profile, grant, scopes, claims.resources ?? {})) return undefined;

  return { claims, account, instance };
}
