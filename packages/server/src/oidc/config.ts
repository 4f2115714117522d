import { isIP } from 'node:net';
import { type RoleMap, RoleMapError, parseRoleMap } from './role-map.js';

/** Admin sign-in through an OpenID Connect identity provider, from the TESSERA_OIDC_* variables. */
export interface OidcConfig {
  /** The provider's issuer identifier; its metadata is read from `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  /** Client secret for client_secret_basic authentication at the token endpoint. */
  clientSecret: string;
  scopes: string[];
  /** Claim that lists the user's groups; a dotted name such as `realm_access.roles` reads a nested claim. */
  groupsClaim: string;
  /** Claim that becomes the admin's username; `email` and then `sub` are used when it is missing. */
  usernameClaim: string;
  roleMap: RoleMap;
  /** Provider name on the sign-in button, as in "Sign in with Keycloak". */
  displayName: string;
  /** Lets a first OIDC sign-in take over a local admin with the same username instead of being rejected. */
  linkLocalAdmins: boolean;
}

export const OIDC_DEFAULTS = {
  scopes: ['openid', 'profile', 'email'],
  groupsClaim: 'groups',
  usernameClaim: 'preferred_username',
  displayName: 'SSO',
} as const;

/** Thrown for a wrong TESSERA_OIDC_* value; config.ts turns it into a ConfigError. */
export class OidcConfigError extends Error {
  override name = 'OidcConfigError';
}

const OIDC_VARIABLES = ['TESSERA_OIDC_ISSUER', 'TESSERA_OIDC_CLIENT_ID', 'TESSERA_OIDC_CLIENT_SECRET', 'TESSERA_OIDC_ROLE_MAP'] as const;
const CLAIM_PATTERN = /^[A-Za-z0-9_:\-/]+(\.[A-Za-z0-9_:\-/]+)*$/;
const SCOPE_PATTERN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function parseIssuer(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OidcConfigError(`TESSERA_OIDC_ISSUER must be the identity provider's issuer URL, such as https://sso.example.com/realms/staff; got "${raw.slice(0, 200)}".`);
  }

  if (url.search || url.hash || url.username || url.password) {
    throw new OidcConfigError('TESSERA_OIDC_ISSUER must not contain credentials, a query or a fragment; use the issuer exactly as the provider publishes it.');
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new OidcConfigError(`TESSERA_OIDC_ISSUER must use https; plain http is allowed only on a loopback address such as 127.0.0.1. Got "${url.origin}".`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new OidcConfigError(`TESSERA_OIDC_ISSUER must be an https URL; got "${url.protocol}".`);
  }
  // The issuer is compared exactly with the one in the provider's metadata, so it is kept as written.
  return raw;
}

function parseScopes(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return [...OIDC_DEFAULTS.scopes];

  const scopes = [...new Set(raw.trim().split(/[\s,]+/))];
  const bad = scopes.find((scope) => !SCOPE_PATTERN.test(scope));
  if (bad !== undefined) throw new OidcConfigError(`TESSERA_OIDC_SCOPES has the invalid scope "${bad}"; separate scopes with spaces.`);
  if (!scopes.includes('openid')) throw new OidcConfigError(`TESSERA_OIDC_SCOPES must include openid, which asks for the ID token; got "${raw}".`);
  return scopes;
}

function parseClaimName(name: string, raw: string | undefined, fallback: string): string {
  if (raw === undefined || raw === '') return fallback;
  if (!CLAIM_PATTERN.test(raw)) throw new OidcConfigError(`${name} must be a claim name such as groups, or a dotted path such as realm_access.roles; got "${raw.slice(0, 100)}".`);
  return raw;
}

function parseBoolean(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new OidcConfigError(`${name} must be true or false; got "${raw.slice(0, 20)}".`);
}

/**
 * Reads the OIDC settings, or returns undefined when none of TESSERA_OIDC_ISSUER, _CLIENT_ID,
 * _CLIENT_SECRET and _ROLE_MAP is set. Setting some of them but not all is an error, so that a
 * half-finished setup does not start with OIDC silently off.
 */
export function parseOidcConfig(env: NodeJS.ProcessEnv): OidcConfig | undefined {
  const present = OIDC_VARIABLES.filter((name) => env[name]);
  if (present.length === 0) return undefined;

  const missing = OIDC_VARIABLES.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new OidcConfigError(`${missing.join(', ')} must be set for OIDC sign-in, because ${present.join(', ')} ${present.length === 1 ? 'is' : 'are'} set. Set all four, or none to turn OIDC sign-in off.`);
  }

  let roleMap: RoleMap;
  try {
    roleMap = parseRoleMap(env.TESSERA_OIDC_ROLE_MAP!);
  } catch (error) {
    if (error instanceof RoleMapError) throw new OidcConfigError(`TESSERA_OIDC_ROLE_MAP ${error.message}`);
    throw error;
  }

  const displayName = (env.TESSERA_OIDC_DISPLAY_NAME ?? '').trim() || OIDC_DEFAULTS.displayName;
  if (displayName.length > 60 || /[\x00-\x1f\x7f]/.test(displayName)) {
    throw new OidcConfigError('TESSERA_OIDC_DISPLAY_NAME must be at most 60 printable characters, such as Keycloak.');
  }

  return {
    issuer: parseIssuer(env.TESSERA_OIDC_ISSUER!),
    clientId: env.TESSERA_OIDC_CLIENT_ID!,
    clientSecret: env.TESSERA_OIDC_CLIENT_SECRET!,
    scopes: parseScopes(env.TESSERA_OIDC_SCOPES),
    groupsClaim: parseClaimName('TESSERA_OIDC_GROUPS_CLAIM', env.TESSERA_OIDC_GROUPS_CLAIM, OIDC_DEFAULTS.groupsClaim),
    usernameClaim: parseClaimName('TESSERA_OIDC_USERNAME_CLAIM', env.TESSERA_OIDC_USERNAME_CLAIM, OIDC_DEFAULTS.usernameClaim),
    roleMap,
    displayName,
    linkLocalAdmins: parseBoolean('TESSERA_OIDC_LINK_LOCAL_ADMINS', env.TESSERA_OIDC_LINK_LOCAL_ADMINS),
  };
}
