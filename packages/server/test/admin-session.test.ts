import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ADMIN_PASSWORD,
  AdminClient,
  type CreatedAccount,
  type HttpResult,
  type TestServer,
  basicAuth,
  createAccount,
  ensureInstance,
  requestToken,
  startTestServer,
} from './support/server.js';
import { PROBLEM_CONTENT_TYPE, assertProblem } from './support/problem.js';

const SESSION_SECONDS = 12 * 60 * 60;
const THROTTLE_WINDOW_SECONDS = 15 * 60;

/** Sends a request to the admin API with only the given headers, and no session cookie. */
async function send(server: TestServer, method: string, path: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  const response = await fetch(`${server.baseUrl}/api/v1${path}`, { method, headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined, text };
}

function cookieAttributes(setCookie: string): string[] {
  return setCookie.split(';').map((part) => part.trim());
}

async function auditEvents(server: TestServer, query: string): Promise<any[]> {
  const result = await server.admin.get(`/audit-events?${query}`);
  assert.equal(result.status, 200, result.text);
  return result.body.items;
}

describe('admin session', () => {
  let server: TestServer;
  let account: CreatedAccount;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira', 'jira', 'https://jira.example.com');
    account = await createAccount(server, { name: 'nightly-export', access: [{ instance: 'jira', scopes: ['READ'], resources: { project: ['ABC'] } }] });
  });

  after(() => server.close());

  it('sign-in sets session cookie', async () => {
    const response = await fetch(`${server.baseUrl}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const body = await response.json();

    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
    const attributes = cookieAttributes(response.headers.get('set-cookie') ?? '');
    assert.match(attributes[0], /^tessera_session=[A-Za-z0-9_-]{43}$/);
    assert.ok(attributes.includes('HttpOnly'));
    assert.ok(attributes.includes('SameSite=Strict'));
    assert.ok(attributes.includes('Path=/'));
    assert.ok(attributes.includes(`Max-Age=${SESSION_SECONDS}`));
    assert.ok(!attributes.some((attribute) => attribute.toLowerCase() === 'secure'));

    assert.equal(body.admin.username, 'admin');
    assert.equal(body.admin.role, 'admin');
    assert.equal(typeof body.admin.id, 'string');
    assert.match(body.csrfToken, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(body.expiresAt, new Date(server.clock.now() + SESSION_SECONDS * 1000).toISOString());
  });

  it('session GET returns signed-in admin', async () => {
    const result = await server.admin.get('/session');

    assert.equal(result.status, 200);
    assert.equal(result.body.admin.username, 'admin');
    assert.equal(result.body.admin.role, 'admin');
    assert.equal(result.body.csrfToken, server.admin.csrfToken);
  });

  it('sign-in audits success', async () => {
    const client = new AdminClient(server.baseUrl);
    assert.equal((await client.signIn()).status, 200);

    const [event] = await auditEvents(server, 'action=admin.sign_in&outcome=success&limit=1');
    assert.equal(event.actor.type, 'admin');
    assert.equal(event.outcome, 'success');
    assert.equal(event.source.ip, '127.0.0.1');
    assert.ok(!JSON.stringify(event).includes(ADMIN_PASSWORD));
  });

  it('wrong password returns 401', async () => {
    const client = new AdminClient(server.baseUrl);
    const result = await client.signIn('admin', 'not-the-password');

    assertProblem(result, 401, 'invalid_credentials');
    assert.equal(result.headers.get('set-cookie'), null);
    assert.equal(client.cookie, '');
  });

  it('unknown user returns same 401', async () => {
    const wrongPassword = await new AdminClient(server.baseUrl).signIn('admin', 'still-not-the-password');
    const unknownUser = await new AdminClient(server.baseUrl).signIn('nobody-here', 'still-not-the-password');

    assertProblem(unknownUser, 401, 'invalid_credentials');
    assert.deepEqual(unknownUser.body, wrongPassword.body);
    assert.equal(unknownUser.headers.get('set-cookie'), null);
  });

  it('failed sign-in hides password', async () => {
    await new AdminClient(server.baseUrl).signIn('admin', 'leaky-password-123');

    const events = await auditEvents(server, 'action=admin.sign_in&outcome=failure&limit=5');
    assert.equal(events[0].reason, 'wrong_password');
    assert.ok(!JSON.stringify(events).includes('leaky-password-123'));
  });

  it('missing password returns 400', async () => {
    const result = await new AdminClient(server.baseUrl).request('POST', '/session', { username: 'admin' });

    assertProblem(result, 400, 'validation_failed', 'password');
  });

  it('client id as username returns 403', async () => {
    const result = await new AdminClient(server.baseUrl).signIn(account.clientId, account.clientSecret);

    assert.equal(result.status, 403);
    assert.equal(result.headers.get('content-type'), PROBLEM_CONTENT_TYPE);
    assert.equal(result.body.code, 'service_account_sign_in');
    assert.equal(result.body.field, 'username');
    assert.equal(result.headers.get('set-cookie'), null);
    assert.ok(!result.text.includes(account.clientSecret));

    const [event] = await auditEvents(server, 'action=admin.sign_in&outcome=failure&limit=1');
    assert.equal(event.actor.type, 'service_account');
    assert.equal(event.actor.id, account.id);
    assert.equal(event.reason, 'service_account_sign_in');
    assert.ok(!JSON.stringify(event).includes(account.clientSecret));
  });

  it('account name as username returns 403', async () => {
    const result = await new AdminClient(server.baseUrl).signIn('nightly-export', 'any-password');

    assert.equal(result.status, 403);
    assert.equal(result.headers.get('content-type'), PROBLEM_CONTENT_TYPE);
    assert.equal(result.body.code, 'service_account_sign_in');
    assert.equal(result.body.field, 'username');

    const [event] = await auditEvents(server, 'action=admin.sign_in&outcome=failure&limit=1');
    assert.equal(event.actor.type, 'service_account');
    assert.equal(event.actor.id, account.id);
  });

  it('service account rejection detail names username', async () => {
    const result = await new AdminClient(server.baseUrl).signIn(account.clientId, 'any-password');

    assertProblem(result, 403, 'service_account_sign_in', 'username');
  });

  it('POST without CSRF token returns 403', async () => {
    const result = await server.admin.request('POST', '/instances', { slug: 'no-csrf', name: 'No CSRF', profile: 'jira', audience: 'https://no-csrf.example.com' }, { 'x-csrf-token': '' });

    assertProblem(result, 403, 'csrf_token_invalid');
    const instances = await server.admin.get('/instances');
    assert.ok(!instances.body.items.some((instance: any) => instance.slug === 'no-csrf'));
  });

  it('wrong CSRF token returns 403', async () => {
    const result = await send(server, 'DELETE', `/service-accounts/${account.id}`, { cookie: server.admin.cookie, 'x-csrf-token': 'A'.repeat(43) });

    assertProblem(result, 403, 'csrf_token_invalid');
    const stillThere = await server.admin.get(`/service-accounts/${account.id}`);
    assert.equal(stillThere.status, 200);
  });

  it('GET without CSRF token succeeds', async () => {
    const result = await send(server, 'GET', '/service-accounts', { cookie: server.admin.cookie });

    assert.equal(result.status, 200);
  });

  it('GET without cookie returns 401', async () => {
    const result = await send(server, 'GET', '/service-accounts');

    assertProblem(result, 401, 'unauthenticated');
  });

  it('POST without cookie returns 401', async () => {
    const result = await send(server, 'POST', '/instances', { 'x-csrf-token': server.admin.csrfToken, 'content-type': 'application/json' });

    assertProblem(result, 401, 'unauthenticated');
  });

  it('unknown session cookie returns 401', async () => {
    const result = await send(server, 'GET', '/service-accounts', { cookie: `tessera_session=${'x'.repeat(43)}` });

    assertProblem(result, 401, 'unauthenticated');
  });

  it('bearer token returns 403 and audits', async () => {
    const token = await requestToken(server, account);
    assert.equal(token.status, 200, token.text);
    const accessToken: string = token.body.access_token;

    const result = await send(server, 'GET', '/service-accounts', { authorization: `Bearer ${accessToken}` });

    assertProblem(result, 403, 'service_account_sign_in');
    assert.ok(!result.text.includes(accessToken));

    const [event] = await auditEvents(server, 'action=admin.access_refused&limit=1');
    assert.equal(event.actor.type, 'service_account');
    assert.equal(event.actor.id, account.id);
    assert.equal(event.actor.credentialId, account.credentialId);
    assert.equal(event.outcome, 'failure');
    assert.equal(event.reason, 'service_account_token');
    assert.deepEqual(event.details, { method: 'GET', path: '/api/v1/service-accounts' });
    assert.ok(!JSON.stringify(event).includes(accessToken));
  });

  it('client secret over Basic returns 403', async () => {
    const result = await send(server, 'GET', '/instances', { authorization: basicAuth(account.clientId, account.clientSecret) });

    assertProblem(result, 403, 'service_account_sign_in');

    const [event] = await auditEvents(server, 'action=admin.access_refused&limit=1');
    assert.equal(event.actor.type, 'anonymous');
    assert.equal(event.reason, 'credentials_in_authorization_header');
    assert.ok(!JSON.stringify(event).includes(account.clientSecret));
  });

  it('sign-out ends the session', async () => {
    const client = new AdminClient(server.baseUrl);
    await client.signIn();
    const response = await fetch(`${server.baseUrl}/api/v1/session`, { method: 'DELETE', headers: { cookie: client.cookie, 'x-csrf-token': client.csrfToken } });

    assert.equal(response.status, 204);
    assert.equal(await response.text(), '');
    const attributes = cookieAttributes(response.headers.get('set-cookie') ?? '');
    assert.equal(attributes[0], 'tessera_session=');
    assert.ok(attributes.includes('Max-Age=0'));

    assertProblem(await client.get('/session'), 401, 'unauthenticated');
    assertProblem(await client.get('/service-accounts'), 401, 'unauthenticated');

    const [event] = await auditEvents(server, 'action=admin.sign_out&limit=1');
    assert.equal(event.actor.type, 'admin');
    assert.equal(event.outcome, 'success');
  });

  it('sign-out keeps other sessions', async () => {
    const client = new AdminClient(server.baseUrl);
    await client.signIn();
    assert.equal((await client.delete('/session')).status, 204);

    const result = await server.admin.get('/session');
    assert.equal(result.status, 200);
  });

  it('sign-out without CSRF token returns 403', async () => {
    const client = new AdminClient(server.baseUrl);
    await client.signIn();

    const result = await send(server, 'DELETE', '/session', { cookie: client.cookie });
    assertProblem(result, 403, 'csrf_token_invalid');
    assert.equal((await client.get('/session')).status, 200);
  });
});

describe('admin session with https issuer', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ config: { issuer: 'https://tessera.example.com' } });
  });

  after(() => server.close());

  it('sign-in cookie is Secure', async () => {
    const response = await fetch(`${server.baseUrl}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });

    assert.equal(response.status, 200);
    const attributes = cookieAttributes(response.headers.get('set-cookie') ?? '');
    assert.ok(attributes.includes('Secure'));
    assert.ok(attributes.includes('HttpOnly'));
    assert.ok(attributes.includes('SameSite=Strict'));
  });
});

// Each test here moves the server clock, so these run on a server of their own.
describe('admin session over time', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });

  after(() => server.close());

  it('sign-in throttles after five failures', async () => {
    const client = new AdminClient(server.baseUrl);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const failed = await client.signIn('admin', `wrong-${attempt}`);
      assert.equal(failed.status, 401, `attempt ${attempt}: ${failed.text}`);
    }

    const throttled = await client.signIn('admin', 'wrong-6');
    assertProblem(throttled, 429, 'too_many_attempts');
    assert.equal(throttled.headers.get('retry-after'), String(THROTTLE_WINDOW_SECONDS));

    const rightPassword = await client.signIn('admin', ADMIN_PASSWORD);
    assertProblem(rightPassword, 429, 'too_many_attempts');
    assert.equal(rightPassword.headers.get('set-cookie'), null);

    server.clock.advance(60_000);
    const later = await client.signIn('admin', ADMIN_PASSWORD);
    assertProblem(later, 429, 'too_many_attempts');
    assert.equal(later.headers.get('retry-after'), String(THROTTLE_WINDOW_SECONDS - 60));

    server.clock.advance((THROTTLE_WINDOW_SECONDS - 60) * 1000);
    const afterWindow = await client.signIn('admin', ADMIN_PASSWORD);
    assert.equal(afterWindow.status, 200, afterWindow.text);
  });

  it('unknown user is throttled too', async () => {
    const client = new AdminClient(server.baseUrl);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const failed = await client.signIn('ghost', `wrong-${attempt}`);
      assertProblem(failed, 401, 'invalid_credentials');
    }

    const throttled = await client.signIn('ghost', 'wrong-6');
    assertProblem(throttled, 429, 'too_many_attempts');
    assert.equal(throttled.headers.get('retry-after'), String(THROTTLE_WINDOW_SECONDS));

    server.clock.advance(THROTTLE_WINDOW_SECONDS * 1000);
  });

  it('successful sign-in resets failure count', async () => {
    const client = new AdminClient(server.baseUrl);
    for (let attempt = 1; attempt <= 4; attempt++) await client.signIn('admin', `wrong-${attempt}`);
    assert.equal((await client.signIn('admin', ADMIN_PASSWORD)).status, 200);

    for (let attempt = 1; attempt <= 4; attempt++) await client.signIn('admin', `wrong-again-${attempt}`);
    const result = await client.signIn('admin', ADMIN_PASSWORD);
    assert.equal(result.status, 200, result.text);
  });

  it('session expires after twelve hours', async () => {
    const client = new AdminClient(server.baseUrl);
    await client.signIn();

    server.clock.advance(SESSION_SECONDS * 1000 - 1000);
    assert.equal((await client.get('/session')).status, 200);

    server.clock.advance(1000);
    assertProblem(await client.get('/session'), 401, 'unauthenticated');
  });
});
