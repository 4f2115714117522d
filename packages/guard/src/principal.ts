import { CLAIMS, type ResourceRestrictions, WILDCARD } from '@tessera/shared';
import type { JWTPayload } from 'jose';

/** The service account behind a verified access token, in the form products use. */
export interface Principal {
  /** The account id (`sub`). */
  readonly accountId: string;
  readonly clientId: string;
  /** Id of the credential (client secret) that obtained the token. */
  readonly credentialId: string;
  /** Slug of the product instance in Tessera. */
  readonly instance: string;
  readonly audience: string;
  /** Scopes as granted in the token, before implication: check them with `guard.requireScope`. */
  readonly scopes: readonly string[];
  /** Resource restrictions: type to ids or "*". A type that is absent means no access to it. */
  readonly resources: Readonly<ResourceRestrictions>;
  /** The token id (`jti`). */
  readonly tokenId: string;
  /** Expiry of the token in epoch milliseconds. */
  readonly expiresAt: number;
  /** The account's token generation when the token was issued; 0 when the token has none. */
  readonly generation: number;
  /**
   * RFC 7638 thumbprint of the key the token is bound to (`cnf.jkt`, RFC 9449 §6), or
   * undefined for a bearer token. A bound token is accepted only with a DPoP proof by that key.
   */
  readonly dpopKeyThumbprint?: string;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function readResources(value: unknown): ResourceRestrictions | undefined {
  if (value === undefined) return Object.create(null);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;

  // A null prototype, so that a type named __proto__ or constructor is an ordinary key.
  const resources: ResourceRestrictions = Object.create(null);
  for (const [type, ids] of Object.entries(value)) {
    if (ids === WILDCARD) resources[type] = WILDCARD;
    else if (isStringArray(ids)) resources[type] = Object.freeze([...ids]) as string[];
    else return undefined;
  }
  return resources;
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** Reads `cnf.jkt`: undefined without cnf, null when cnf is present but names no thumbprint this guard understands. */
function readKeyThumbprint(value: unknown): string | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) return null;
  const jkt = (value as Record<string, unknown>).jkt;
  return nonEmptyString(jkt) ? jkt : null;
}

/**
 * Builds a frozen principal from claims whose signature, issuer, audience and lifetime are
 * already checked. Returns a reason when a Tessera claim is missing or has the wrong type.
 * The object is shared by every request that presents the same token, hence frozen.
 */
export function principalFromClaims(payload: JWTPayload, audience: string): Principal | { invalidClaim: string } {
  const claims = payload as Record<string, unknown>;
  const resources = readResources(claims[CLAIMS.resources]);
  const scope = claims[CLAIMS.scope] ?? '';
  const generation = claims[CLAIMS.generation] ?? 0;
  const instance = claims[CLAIMS.instance] ?? '';
  // A cnf with another confirmation method (such as x5t#S256) binds the token to something guard cannot check, so it fails closed.
  const dpopKeyThumbprint = readKeyThumbprint(claims.cnf);

  if (!nonEmptyString(payload.sub)) return { invalidClaim: 'sub' };
  if (!nonEmptyString(payload.jti)) return { invalidClaim: 'jti' };
  if (typeof payload.exp !== 'number') return { invalidClaim: 'exp' };
  if (!nonEmptyString(claims[CLAIMS.clientId])) return { invalidClaim: CLAIMS.clientId };
  if (!nonEmptyString(claims[CLAIMS.credentialId])) return { invalidClaim: CLAIMS.credentialId };
  if (typeof scope !== 'string') return { invalidClaim: CLAIMS.scope };
  if (typeof instance !== 'string') return { invalidClaim: CLAIMS.instance };
  if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 0) return { invalidClaim: CLAIMS.generation };
  if (!resources) return { invalidClaim: CLAIMS.resources };
  if (dpopKeyThumbprint === null) return { invalidClaim: 'cnf' };

  return Object.freeze({
    accountId: payload.sub,
    clientId: claims[CLAIMS.clientId] as string,
    credentialId: claims[CLAIMS.credentialId] as string,
    instance,
    audience,
    scopes: Object.freeze(scope.split(' ').filter((name) => name !== '')),
    resources: Object.freeze(resources),
    tokenId: payload.jti,
    expiresAt: payload.exp * 1000,
    generation,
    ...(dpopKeyThumbprint === undefined ? {} : { dpopKeyThumbprint }),
  });
}
