/**
 * The HTTP calls the benchmarks make to Tessera outside the load: admin sign-in, creating a
 * service account, reading the audit log and verifying a token with jose.
 */
import { type JWTVerifyGetKey, createRemoteJWKSet, jwtVerify } from 'jose';

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

export interface JsonResponse {
  status: number;
  body: any;
  text: string;
  setCookie: string | null;
  headers: Headers;
}

export async function requestJson(url: string, init: RequestInit): Promise<JsonResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text, setCookie: response.headers.get('set-cookie'), headers: response.headers };
}

export function expectStatus(response: JsonResponse, expected: number, action: string): void {
  if (response.status !== expected) {
    throw new Error(`${action} failed: expected HTTP ${expected}, got ${response.status} ${response.text.slice(0, 500)}`);
  }
}

/** An admin API client with the session cookie and CSRF token of one sign-in. */
export class AdminSession {
  private constructor(
    private readonly baseUrl: string,
    private readonly cookie: string,
    private readonly csrfToken: string,
  ) {}

  static async signIn(baseUrl: string, password: string): Promise<AdminSession> {
    const response = await requestJson(`${baseUrl}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expectStatus(response, 200, 'Admin sign-in');
    const cookie = (response.setCookie ?? '').split(';')[0];
    if (!cookie || typeof response.body?.csrfToken !== 'string') {
      throw new Error('Admin sign-in returned 200 without a session cookie or a csrfToken.');
    }
    return new AdminSession(baseUrl, cookie, response.body.csrfToken);
  }

  request(method: string, path: string, body?: unknown): Promise<JsonResponse> {
    return requestJson(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers: {
        cookie: this.cookie,
        'x-csrf-token': this.csrfToken,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /** Returns the sequence number of the newest audit event, which equals the number of events in the append-only log. */
  async latestAuditSeq(): Promise<number> {
    const response = await this.request('GET', '/audit-events?limit=1');
    expectStatus(response, 200, 'Reading the newest audit event');
    return Number(response.body.items[0]?.id ?? 0);
  }
}

export interface ServiceAccount {
  id: string;
  clientId: string;
  clientSecret: string;
  audience: string;
}

export async function createServiceAccount(admin: AdminSession): Promise<ServiceAccount> {
  const audience = 'https://jira.bench.example';
  const instance = await admin.request('POST', '/instances', { slug: 'jira-bench', name: 'Jira (benchmark)', profile: 'jira', audience });
  expectStatus(instance, 201, 'Creating the instance');

  const account = await admin.request('POST', '/service-accounts', { name: 'token-benchmark', access: [{ instance: 'jira-bench', scopes: ['READ'] }] });
  expectStatus(account, 201, 'Creating the service account');
  return { id: account.body.id, clientId: account.body.clientId, clientSecret: account.body.credential.clientSecret, audience };
}

/**
 * Creates a second account whose only grant is on an instance that issues opaque tokens, for
 * comparing introspection with a peer that introspects opaque tokens.
 */
export async function createOpaqueServiceAccount(admin: AdminSession): Promise<ServiceAccount> {
  const audience = 'https://jira-opaque.bench.example';
  const instance = await admin.request('POST', '/instances', { slug: 'jira-opaque-bench', name: 'Jira with opaque tokens (benchmark)', profile: 'jira', audience, tokenFormat: 'opaque' });
  expectStatus(instance, 201, 'Creating the opaque token instance');

  const account = await admin.request('POST', '/service-accounts', { name: 'opaque-token-benchmark', access: [{ instance: 'jira-opaque-bench', scopes: ['READ'] }] });
  expectStatus(account, 201, 'Creating the opaque token service account');
  return { id: account.body.id, clientId: account.body.clientId, clientSecret: account.body.credential.clientSecret, audience };
}

export function basicAuthorization(clientId: string, secret: string): string {
  // RFC 6749 §2.3.1: the id and secret are form-urlencoded before Base64.
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export interface VerifyOptions {
  /** The expected `iss`, when the server was configured with another URL than `baseUrl`, such as a load balancer's. */
  issuer?: string;
  /** A key set to reuse, so that several verifications fetch /oauth/jwks once. */
  jwks?: JWTVerifyGetKey;
}

/**
 * Requests one token with the given headers and body and verifies it with jose against the
 * server's JWKS: signature, typ at+jwt, issuer, audience and subject. Returns the token response.
 */
export async function verifyTokenRequest(
  baseUrl: string,
  account: ServiceAccount,
  headers: Record<string, string>,
  body: string,
  label: string,
  options: VerifyOptions = {},
): Promise<JsonResponse> {
  const response = await requestJson(`${baseUrl}/oauth/token`, { method: 'POST', headers, body });
  expectStatus(response, 200, `The token request with ${label}`);
  if (response.body?.token_type !== 'Bearer' || typeof response.body?.access_token !== 'string') {
    throw new Error(`The token response with ${label} has no Bearer access_token: ${response.text.slice(0, 500)}`);
  }

  const jwks = options.jwks ?? createRemoteJWKSet(new URL(`${baseUrl}/oauth/jwks`));
  const { payload } = await jwtVerify(response.body.access_token, jwks, { typ: 'at+jwt', issuer: options.issuer ?? baseUrl, audience: account.audience });
  if (payload.sub !== account.id) {
    throw new Error(`The token from the request with ${label} has sub "${payload.sub}", expected the account id "${account.id}".`);
  }
  return response;
}
