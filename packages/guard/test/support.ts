import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CreatedAccount, type TestServer, createAccount, ensureInstance, requestToken } from '../../server/test/support/server.js';
import { type Guard, type GuardLogger, type GuardOptions, createGuard } from '../src/index.js';

export const JIRA_AUDIENCE = 'https://jira.example.com';
export const CONFLUENCE_AUDIENCE = 'https://confluence.example.com';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  details: Record<string, unknown>;
  message: string;
}

/** A logger that keeps every entry, so tests can assert what guard logged and that no token leaked. */
export class RecordingLogger implements GuardLogger {
  readonly entries: LogEntry[] = [];

  debug(details: Record<string, unknown>, message: string) {
    this.entries.push({ level: 'debug', details, message });
  }
  info(details: Record<string, unknown>, message: string) {
    this.entries.push({ level: 'info', details, message });
  }
  warn(details: Record<string, unknown>, message: string) {
    this.entries.push({ level: 'warn', details, message });
  }
  error(details: Record<string, unknown>, message: string) {
    this.entries.push({ level: 'error', details, message });
  }

  messages(level: LogEntry['level']): string[] {
    return this.entries.filter((entry) => entry.level === level).map((entry) => entry.message);
  }

  /** Returns the whole log as text, with error messages, to search for leaked secrets. */
  text(): string {
    return JSON.stringify(this.entries, (_key, value) => (value instanceof Error ? { message: value.message, cause: String(value.cause) } : value));
  }
}

/** Registers the jira and confluence instances and a product account with a grant on jira, for the feed and usage reports. */
export async function setUpInstances(server: TestServer): Promise<CreatedAccount> {
  await ensureInstance(server, 'jira', 'jira', JIRA_AUDIENCE);
  await ensureInstance(server, 'confluence', 'confluence', CONFLUENCE_AUDIENCE);
  return createAccount(server, { name: 'jira-product', access: [{ instance: 'jira', scopes: ['READ'] }] });
}

/** Creates a guard for the jira instance of a test server, on the server's manual clock. */
export function guardFor(server: TestServer, product: CreatedAccount | undefined, options: Partial<GuardOptions> = {}): Guard {
  return createGuard({
    issuer: server.baseUrl,
    audience: JIRA_AUDIENCE,
    profile: 'jira',
    ...(product ? { clientId: product.clientId, clientSecret: product.clientSecret } : {}),
    now: () => server.clock.now(),
    ...options,
  });
}

let accountCounter = 0;

/** Creates an account with the given jira grant and returns it with a fresh access token. */
export async function accountWithToken(server: TestServer, grant: { scopes: string[]; resources?: Record<string, string[] | '*'> }, params: Record<string, string> = {}) {
  accountCounter += 1;
  const account = await createAccount(server, { name: `guard-test-${accountCounter}`, access: [{ instance: 'jira', ...grant }], credential: { expiresInDays: 30 } });
  const issued = await requestToken(server, account, params);
  if (issued.status !== 200) throw new Error(`token request failed: ${issued.status} ${issued.text}`);
  return { account, token: issued.body.access_token as string };
}

export function bearer(token: string): string {
  return `Bearer ${token}`;
}

/** Polls until `check` returns true or the time runs out; returns how long it took, or throws. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await check()) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Listens on 127.0.0.1 on a free port and returns the base URL. */
export async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

