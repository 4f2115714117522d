import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { ManualClock } from '../../src/clock.js';
import { type TesseraConfig, loadConfig } from '../../src/config.js';
import { ensureTesseraInstance } from '../../src/admin-api/tessera-instance.js';
import { type Tessera, createTessera } from '../../src/server.js';
import { openDatabase } from '../../src/storage/database.js';

export const ADMIN_PASSWORD = 'test-admin-password-1';

/**
 * The database the tests run on: SQLite files by default, or PostgreSQL when
 * TESSERA_TEST_DATABASE=postgres, with TESSERA_TEST_POSTGRES_URL naming a server where the
 * tests may create and drop databases (default postgres://postgres@127.0.0.1:5432/postgres).
 */
export const TEST_DIALECT = process.env.TESSERA_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
const POSTGRES_ADMIN_URL = process.env.TESSERA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function withPostgresAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty PostgreSQL database for one test server and returns its URL. */
export async function createPostgresDatabase(): Promise<string> {
  const name = `tessera_test_${randomBytes(6).toString('hex')}`;
  await withPostgresAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.href;
}

export async function dropPostgresDatabase(databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  if (!/^tessera_test_[0-9a-f]+$/.test(name)) throw new Error(`refusing to drop ${name}: not a test database`);
  await withPostgresAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** Runs SQL on a test server's database through a connection of its own, also while the server is stopped. */
export async function queryDatabase<T = Record<string, unknown>>(server: { databaseUrl: string }, text: string): Promise<T[]> {
  const database = openDatabase(server.databaseUrl, { mustExist: true });
  try {
    const result = await sql.raw<T>(text).execute(database.db);
    return result.rows;
  } finally {
    await database.close();
  }
}

export interface TestServer {
  baseUrl: string;
  tessera: Tessera;
  clock: ManualClock;
  directory: string;
  /** A SQLite file path or a postgres:// URL. */
  databaseUrl: string;
  admin: AdminClient;
  /** Stops the server; the data folder stays until `cleanup`. */
  stop(): Promise<void>;
  /** Stops the server and removes its data folder. */
  close(): Promise<void>;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

async function readResult(response: Response): Promise<HttpResult> {
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** A signed-in admin talking to the admin API over real HTTP with the session cookie and CSRF token. */
export class AdminClient {
  cookie = '';
  csrfToken = '';

  constructor(private readonly baseUrl: string) {}

  async signIn(username = 'admin', password = ADMIN_PASSWORD): Promise<HttpResult> {
    const response = await fetch(`${this.baseUrl}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const result = await readResult(response);
    if (result.status === 200) {
      this.cookie = (response.headers.get('set-cookie') ?? '').split(';')[0];
      this.csrfToken = result.body.csrfToken;
    }
    return result;
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
    const response = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers: {
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(this.csrfToken ? { 'x-csrf-token': this.csrfToken } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: typeof body === 'string' || body === undefined ? body : JSON.stringify(body),
    });
    return readResult(response);
  }

  get(path: string) {
    return this.request('GET', path);
  }

  post(path: string, body?: unknown) {
    return this.request('POST', path, body ?? {});
  }

  put(path: string, body: unknown) {
    return this.request('PUT', path, body);
  }

  patch(path: string, body: unknown) {
    return this.request('PATCH', path, body);
  }

  delete(path: string) {
    return this.request('DELETE', path);
  }
}

/**
 * Starts a real Tessera on 127.0.0.1 with a fresh SQLite file, a manual clock and a signed-in
 * admin. Pass `directory` to start again on the data of a stopped server.
 */
export async function startTestServer(options: { config?: Partial<TesseraConfig>; clock?: ManualClock; directory?: string; logger?: pino.Logger } = {}): Promise<TestServer> {
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'tessera-test-'));
  const urlFile = join(directory, 'database-url');
  let databaseUrl = join(directory, 'tessera.db');
  if (existsSync(urlFile)) databaseUrl = readFileSync(urlFile, 'utf8');
  else if (TEST_DIALECT === 'postgres') databaseUrl = await createPostgresDatabase();
  writeFileSync(urlFile, databaseUrl);
  // Starts at the real time so that outside libraries checking exp and iat agree with the server.
  const clock = options.clock ?? new ManualClock(Date.now());

  const config = loadConfig(
    { databaseUrl, dataDirectory: directory, host: '127.0.0.1', port: 0, adminPassword: ADMIN_PASSWORD, issuer: 'http://127.0.0.1', ...options.config },
    {},
  );
  const logger = options.logger ?? pino({ level: process.env.TESSERA_TEST_LOG_LEVEL ?? 'silent' });
  let tessera: Tessera;
  try {
    tessera = await createTessera({ config, clock, logger });
  } catch (error) {
    // A database and folder created for this start alone would otherwise be left behind.
    if (!options.directory && TEST_DIALECT === 'postgres') await dropPostgresDatabase(databaseUrl);
    if (!options.directory) rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  const address = await tessera.listen();

  // The issuer must match the address clients use, which is known only after listening.
  const baseUrl = address.replace('localhost', '127.0.0.1');
  if (!options.config?.issuer) tessera.context.config.issuer = baseUrl;
  // The tessera instance's audience follows the issuer, as it would on a restart with the new issuer.
  await ensureTesseraInstance(tessera.context);

  const admin = new AdminClient(baseUrl);
  // fetch may reuse a keep-alive socket of a server that stopped on the same port; one retry opens a new one.
  const signIn = await admin.signIn().catch(() => admin.signIn());
  if (signIn.status !== 200) throw new Error(`test admin sign-in failed: ${signIn.status} ${signIn.text}`);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await tessera.close();
  };
  return {
    baseUrl,
    tessera,
    clock,
    directory,
    databaseUrl,
    admin,
    stop,
    async close() {
      await stop();
      if (TEST_DIALECT === 'postgres' && existsSync(urlFile)) await dropPostgresDatabase(databaseUrl);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

export interface CreatedAccount {
  id: string;
  clientId: string;
  clientSecret: string;
  credentialId: string;
  body: any;
}

/** Creates an instance, unless one with the slug exists, through the admin API. */
export async function ensureInstance(server: TestServer, slug: string, profile = 'jira', audience = `https://${slug}.example.com`): Promise<any> {
  const existing = await server.admin.get(`/instances/${slug}`);
  if (existing.status === 200) return existing.body;

  const created = await server.admin.post('/instances', { slug, name: slug.toUpperCase(), profile, audience });
  if (created.status !== 201) throw new Error(`creating instance ${slug} failed: ${created.status} ${created.text}`);
  return created.body;
}

export async function createAccount(server: TestServer, body: Record<string, unknown>): Promise<CreatedAccount> {
  const created = await server.admin.post('/service-accounts', body);
  if (created.status !== 201) throw new Error(`creating account failed: ${created.status} ${created.text}`);
  return { id: created.body.id, clientId: created.body.clientId, clientSecret: created.body.credential.clientSecret, credentialId: created.body.credential.id, body: created.body };
}

/** Posts a form to an OAuth endpoint over real HTTP. */
export async function postForm(url: string, params: Record<string, string> | string, headers: Record<string, string> = {}): Promise<HttpResult> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof params === 'string' ? params : new URLSearchParams(params).toString(),
  });
  return readResult(response);
}

export function basicAuth(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** Requests a token with HTTP Basic client authentication. */
export function requestToken(server: TestServer, account: { clientId: string; clientSecret: string }, params: Record<string, string> = {}): Promise<HttpResult> {
  return postForm(`${server.baseUrl}/oauth/token`, { grant_type: 'client_credentials', ...params }, { authorization: basicAuth(account.clientId, account.clientSecret) });
}

export function introspect(server: TestServer, caller: { clientId: string; clientSecret: string }, token: string): Promise<HttpResult> {
  return postForm(`${server.baseUrl}/oauth/introspect`, { token }, { authorization: basicAuth(caller.clientId, caller.clientSecret) });
}
