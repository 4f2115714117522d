import { randomUUID } from 'node:crypto';
import { generateOpaqueToken } from '../../crypto/secrets.js';
import { ACCESS_TOKEN_TYPE, CLAIMS } from '@tessera/shared';
import { accessTokenLifetimeSeconds } from '../../accounts/policy-rules.js';
import type { ServerContext } from '../../context.js';
import { authenticatorId, type IssuedToken, type TokenRequest } from './context.js';

/**
 * Signs an RFC 9068 access token. Its lifetime is the instance's setting or the policy's
 * default, capped by the policy's maximum, and cut short so that it never outlives the
 * credential that obtained it. A token obtained through a federation carries the
 * federation's id as its credential id, so that revoking the federation reaches the token
 * the same way.
 */
export function issueAccessToken(ctx: ServerContext, request: TokenRequest): IssuedToken {
  const { account, credential } = request.client!;
  const instance = request.instance!;
  const grant = request.grant!;
  const scopes = request.scopes!;

  const now = ctx.clock.now();
  const issuedAt = Math.floor(now / 1000);
  let expiresAt = issuedAt + accessTokenLifetimeSeconds(request.policy!, instance.access_token_lifetime_seconds);
  if (credential && credential.expires_at !== null) expiresAt = Math.min(expiresAt, Math.floor(Number(credential.expires_at) / 1000));

  const jti = randomUUID();
  const scope = scopes.join(' ');
  const claims = {
      iss: ctx.config.issuer,
      sub: account.id,
      aud: instance.audience,
      [CLAIMS.clientId]: account.client_id,
      [CLAIMS.scope]: scope,
      jti,
      iat: issuedAt,
      exp: expiresAt,
      [CLAIMS.credentialId]: authenticatorId(request.client!),
      [CLAIMS.instance]: grant.instanceSlug,
      [CLAIMS.resources]: grant.resources,
      [CLAIMS.generation]: Number(account.token_generation),
      // RFC 9449 §6.1: the confirmation claim names the key whose proofs must accompany the token.
      ...(request.dpopKeyThumbprint ? { cnf: { jkt: request.dpopKeyThumbprint } } : {}),
  };
  const tokenType = request.dpopKeyThumbprint ? 'DPoP' : 'Bearer';

  // An opaque token is a random reference that only introspection can resolve; its claims are
  // stored (under a hash of the token) in the same commit as the audit event.
  if (instance.token_format === 'opaque') {
    return { accessToken: generateOpaqueToken(), expiresIn: expiresAt - issuedAt, scope, jti, tokenType, opaqueClaims: claims };
  }
  const accessToken = ctx.keyRing.sign(ACCESS_TOKEN_TYPE, claims);
  return { accessToken, expiresIn: expiresAt - issuedAt, scope, jti, tokenType };
}
