/**
 * The load targets of the token benchmark: for Tessera and for the oidc-provider peer a
 * token request with client_secret_basic, one with client_secret_post and an introspection
 * request, and for the bare node:http server the Basic token request only. Each target
 * carries the check that every one of its responses must pass.
 */
import { createRequire } from 'node:module';
import { type JWTVerifyGetKey, createLocalJWKSet } from 'jose';
import type { ChildServer } from './child-processes.js';
import type { CpuGroup } from './cpu.js';
import type { LoadTarget } from './load.js';
import type { AuditCommitProbe } from './postgres.js';
import { PEER_BASIC_CLIENT_ID, PEER_JWT_RESOURCE, PEER_OPAQUE_RESOURCE, PEER_POST_CLIENT_ID, PEER_SCOPE } from './peer-settings.js';
import { CheckTally, type ResponseCheck, bareResponseCheck, introspectionResponseCheck, tokenResponseCheck } from './response-checks.js';
import { type AdminSession, FORM_CONTENT_TYPE, type ServiceAccount, basicAuthorization, expectStatus, requestJson } from './tessera-client.js';

export const BASIC_TOKEN = 'token, client_secret_basic';
export const POST_TOKEN = 'token, client_secret_post';
export const INTROSPECTION = 'introspection';
export const OPAQUE_INTROSPECTION = 'introspection, opaque token';
export type RequestKind = typeof BASIC_TOKEN | typeof POST_TOKEN | typeof INTROSPECTION | typeof OPAQUE_INTROSPECTION;

export type ServerRole = 'tessera' | 'peer' | 'bare';

export interface ComparedTarget extends LoadTarget {
  /** The server's name in the report, such as "Tessera on SQLite". */
  server: string;
  role: ServerRole;
  kind: RequestKind;
  check: ResponseCheck;
  /** The Tessera server of a Tessera target, for the audit check. */
  tessera?: TesseraUnderTest;
  /** Requests a fresh token to introspect and puts it in the body. Runs before each run's warm-up. */
  beforeRun?: () => Promise<void>;
}

/** A Tessera server under load, with the service account its targets use. */
export interface TesseraUnderTest {
  label: string;
  server: ChildServer;
  admin: AdminSession;
  account: ServiceAccount;
  /** An account whose only instance issues opaque tokens, for the opaque introspection target. */
  opaqueAccount: ServiceAccount;
  /** Reads the audit log of a PostgreSQL database, for the audit events per commit of the token targets. */
  auditProbe?: AuditCommitProbe;
  /** Tokens this script requested from the server during the load, outside autocannon, which the audit check adds to autocannon's count. */
  tokensRequestedOutsideLoad: number;
}

const BASIC_BODY = 'grant_type=client_credentials';

async function fetchJwks(url: string): Promise<JWTVerifyGetKey> {
  const response = await requestJson(url, { method: 'GET' });
  expectStatus(response, 200, `Fetching the JWKS at ${url}`);
  return createLocalJWKSet(response.body);
}

/** Requests a token and returns the token response's body, which must be a 200 with an access_token. */
async function requestToken(url: string, headers: Record<string, string>, body: string, label: string): Promise<{ access_token: string; scope: string }> {
  const response = await requestJson(url, { method: 'POST', headers, body });
  expectStatus(response, 200, `The token request for ${label}`);
  if (typeof response.body?.access_token !== 'string' || typeof response.body?.scope !== 'string') {
    throw new Error(`The token response for ${label} has no access_token or scope: ${response.text.slice(0, 500)}`);
  }
  return response.body;
}

/**
 * Sends one request of a target outside the load and applies its check, including the jose
 * verification of a token, so that a misconfigured target fails before any load starts.
 */
export async function probeTarget(target: ComparedTarget): Promise<void> {
  await target.beforeRun?.();
  const response = await fetch(target.url, { method: 'POST', headers: target.headers, body: target.body });
  const tally = new CheckTally(true);
  target.check.inspect(response.status, await response.text(), tally);
  await target.check.verifyKept(tally);
  if (tally.verified !== 1) throw new Error(`The probe request of "${target.name}" failed its check: ${tally.firstFailure}`);
}

function targetName(server: string, kind: RequestKind): string {
  return `${server}, ${kind}`;
}

/**
 * Returns the four targets of a Tessera server: two token requests and an introspection with
 * the account that has READ on a JWT instance, and an introspection with the opaque token account.
 */
export async function tesseraTargets(tessera: TesseraUnderTest, cpuGroups: CpuGroup[]): Promise<ComparedTarget[]> {
  const { url } = tessera.server;
  const { account, label } = tessera;
  const tokenUrl = `${url}/oauth/token`;
  const basicHeaders = { 'content-type': FORM_CONTENT_TYPE, authorization: basicAuthorization(account.clientId, account.clientSecret) };
  const tokenCheck = tokenResponseCheck({ jwks: await fetchJwks(`${url}/oauth/jwks`), issuer: url, audience: account.audience, subject: account.id });
  const postBody = new URLSearchParams({ grant_type: 'client_credentials', client_id: account.clientId, client_secret: account.clientSecret }).toString();
  const common = { server: label, role: 'tessera' as const, tessera, cpuGroups };
  const tokenCommon = { ...common, url: tokenUrl, check: tokenCheck, auditProbe: tessera.auditProbe };

  const introspection: ComparedTarget = {
    ...common,
    name: targetName(label, INTROSPECTION),
    kind: INTROSPECTION,
    url: `${url}/oauth/introspect`,
    headers: basicHeaders,
    body: '',
    check: introspectionResponseCheck({ clientId: account.clientId, scope: '' }),
    async beforeRun() {
      const token = await requestToken(tokenUrl, basicHeaders, BASIC_BODY, `the introspection target of ${label}`);
      tessera.tokensRequestedOutsideLoad += 1;
      introspection.body = new URLSearchParams({ token: token.access_token }).toString();
      introspection.check = introspectionResponseCheck({ clientId: account.clientId, scope: token.scope });
    },
  };

  const opaqueHeaders = { 'content-type': FORM_CONTENT_TYPE, authorization: basicAuthorization(tessera.opaqueAccount.clientId, tessera.opaqueAccount.clientSecret) };
  const opaqueIntrospection: ComparedTarget = {
    ...common,
    name: targetName(label, OPAQUE_INTROSPECTION),
    kind: OPAQUE_INTROSPECTION,
    url: `${url}/oauth/introspect`,
    headers: opaqueHeaders,
    body: '',
    check: introspectionResponseCheck({ clientId: tessera.opaqueAccount.clientId, scope: '' }),
    async beforeRun() {
      const token = await requestToken(tokenUrl, opaqueHeaders, BASIC_BODY, `the opaque introspection target of ${label}`);
      if (!token.access_token.startsWith('tso_')) throw new Error(`The opaque token instance of ${label} issued a token without the tso_ prefix of an opaque token.`);
      tessera.tokensRequestedOutsideLoad += 1;
      opaqueIntrospection.body = new URLSearchParams({ token: token.access_token }).toString();
      opaqueIntrospection.check = introspectionResponseCheck({ clientId: tessera.opaqueAccount.clientId, scope: token.scope });
    },
  };
  return [
    { ...tokenCommon, name: targetName(label, BASIC_TOKEN), kind: BASIC_TOKEN, headers: basicHeaders, body: BASIC_BODY },
    { ...tokenCommon, name: targetName(label, POST_TOKEN), kind: POST_TOKEN, headers: { 'content-type': FORM_CONTENT_TYPE }, body: postBody },
    introspection,
    opaqueIntrospection,
  ];
}

/** The peer's name in the report, with the installed version that bench/peer-server.ts runs. */
export const PEER_LABEL = `oidc-provider ${(createRequire(import.meta.url)('oidc-provider/package.json') as { version: string }).version}`;

/** Returns the three targets of the oidc-provider peer started by bench/peer-server.ts with `clientSecret`. */
export async function peerTargets(server: ChildServer, clientSecret: string, cpuGroups: CpuGroup[]): Promise<ComparedTarget[]> {
  const discovery = await requestJson(`${server.url}/.well-known/openid-configuration`, { method: 'GET' });
  expectStatus(discovery, 200, 'Reading the peer discovery document');
  const { token_endpoint: tokenUrl, introspection_endpoint: introspectionUrl, jwks_uri: jwksUrl } = discovery.body as Record<string, string>;

  const jwks = await fetchJwks(jwksUrl);
  const basicHeaders = { 'content-type': FORM_CONTENT_TYPE, authorization: basicAuthorization(PEER_BASIC_CLIENT_ID, clientSecret) };
  const tokenParams = { grant_type: 'client_credentials', scope: PEER_SCOPE, resource: PEER_JWT_RESOURCE };
  const basicBody = new URLSearchParams(tokenParams).toString();
  const postBody = new URLSearchParams({ ...tokenParams, client_id: PEER_POST_CLIENT_ID, client_secret: clientSecret }).toString();
  const opaqueBody = new URLSearchParams({ ...tokenParams, resource: PEER_OPAQUE_RESOURCE }).toString();
  // oidc-provider puts the client id in `sub` of client credentials tokens.
  const checkFor = (clientId: string) => tokenResponseCheck({ jwks, issuer: server.url, audience: PEER_JWT_RESOURCE, subject: clientId });
  const common = { server: PEER_LABEL, role: 'peer' as const, cpuGroups };

  const introspection: ComparedTarget = {
    ...common,
    name: targetName(PEER_LABEL, INTROSPECTION),
    kind: INTROSPECTION,
    url: introspectionUrl,
    headers: basicHeaders,
    body: '',
    check: introspectionResponseCheck({ clientId: PEER_BASIC_CLIENT_ID, scope: PEER_SCOPE }),
    async beforeRun() {
      const token = await requestToken(tokenUrl, basicHeaders, opaqueBody, 'the peer introspection target');
      introspection.body = new URLSearchParams({ token: token.access_token }).toString();
    },
  };
  return [
    { ...common, name: targetName(PEER_LABEL, BASIC_TOKEN), kind: BASIC_TOKEN, url: tokenUrl, headers: basicHeaders, body: basicBody, check: checkFor(PEER_BASIC_CLIENT_ID) },
    { ...common, name: targetName(PEER_LABEL, POST_TOKEN), kind: POST_TOKEN, url: tokenUrl, headers: { 'content-type': FORM_CONTENT_TYPE }, body: postBody, check: checkFor(PEER_POST_CLIENT_ID) },
    introspection,
  ];
}

export const BARE_LABEL = 'bare node:http';

/** Returns the bare server's target, sent Tessera's Basic token request so that both servers parse requests of the same size. */
export function bareTarget(server: ChildServer, tesseraBasicHeaders: Record<string, string>, cpuGroups: CpuGroup[]): ComparedTarget {
  return {
    server: BARE_LABEL,
    role: 'bare',
    kind: BASIC_TOKEN,
    name: BARE_LABEL,
    url: `${server.url}/oauth/token`,
    headers: tesseraBasicHeaders,
    body: BASIC_BODY,
    check: bareResponseCheck(),
    cpuGroups,
  };
}
