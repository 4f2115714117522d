import { type Guard, createGuard } from '@tessera/guard';
import { type CreatedAccount, type HttpResult, type TestServer, createAccount, ensureInstance, requestToken, startTestServer } from '../../../../packages/server/test/support/server.js';
import { RoleStore } from '../../src/roles.js';
import { Tracker } from '../../src/tracker.js';

export const INSTANCE = 'tracker';

/** A real Tessera and the tracker on 127.0.0.1, the tracker registered as an instance and protected by guard. */
export interface TrackerFixture {
  tessera: TestServer;
  tracker: Tracker;
  trackerUrl: string;
  guard: Guard;
  /** The tracker's own service account: revocation feed and usage reports. */
  guardAccount: CreatedAccount;
  roles: RoleStore;
  close(): Promise<void>;
}

export async function startTrackerFixture(): Promise<TrackerFixture> {
  const tessera = await startTestServer();
  const roles = new RoleStore();
  const tracker = new Tracker({ roles });
  try {
    // The audience is the tracker's URL, known only once it listens on a free port.
    const trackerUrl = await tracker.listen({ host: '127.0.0.1', port: 0 });
    await ensureInstance(tessera, INSTANCE, 'jira', trackerUrl);
    const guardAccount = await createAccount(tessera, {
      name: 'tracker-guard',
      access: [{ instance: INSTANCE, scopes: ['READ'] }],
      credential: { expiresInDays: 30 },
    });

    const guard = createGuard({
      issuer: tessera.baseUrl,
      audience: trackerUrl,
      profile: 'jira',
      clientId: guardAccount.clientId,
      clientSecret: guardAccount.clientSecret,
      revocations: { pollIntervalMs: 200 },
      usage: { flushIntervalMs: 200 },
    });
    await tracker.useGuard(guard);

    return {
      tessera,
      tracker,
      trackerUrl,
      guard,
      guardAccount,
      roles,
      async close() {
        await tracker.close();
        await tessera.close();
      },
    };
  } catch (error) {
    await tracker.close();
    await tessera.close();
    throw error;
  }
}

/** Creates a service account with one grant on the tracker's instance: `projects` lists project keys, or "*" for all. */
export function createTrackerAccount(fixture: TrackerFixture, name: string, scopes: string[], projects: string[] | '*'): Promise<CreatedAccount> {
  return createAccount(fixture.tessera, {
    name,
    access: [{ instance: INSTANCE, scopes, resources: { project: projects } }],
    credential: { expiresInDays: 30 },
  });
}

/** Gets an access token for the account, optionally with fewer scopes than granted. */
export async function tokenFor(fixture: TrackerFixture, account: CreatedAccount, scope?: string): Promise<string> {
  const response = await requestToken(fixture.tessera, account, scope ? { scope } : {});
  if (response.status !== 200) throw new Error(`token request for ${account.clientId} failed: ${response.status} ${response.text}`);
  return response.body.access_token;
}

/** Calls the tracker's API with a bearer token and returns the parsed response. */
export async function callTracker(fixture: TrackerFixture, token: string | undefined, method: string, path: string, body?: unknown): Promise<HttpResult> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';

  let payload: string | undefined;
  if (typeof body === 'string') payload = body;
  else if (body !== undefined) payload = JSON.stringify(body);

  const response = await fetch(`${fixture.trackerUrl}/rest/api/2${path}`, { method, headers, body: payload });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** Creates a client bound to one token, for short test code. */
export function trackerClient(fixture: TrackerFixture, token: string | undefined) {
  return {
    get: (path: string) => callTracker(fixture, token, 'GET', path),
    post: (path: string, body: unknown) => callTracker(fixture, token, 'POST', path, body),
    put: (path: string, body: unknown) => callTracker(fixture, token, 'PUT', path, body),
  };
}

/** Polls until `check` returns a value other than undefined, for at most `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'the condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
