import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseOidcConfig } from '../src/oidc/config.js';
import { TEST_CLIENT_SECRET, type TestIdentityProvider, startIdentityProvider } from './support/identity-provider.js';
import { CookieJar, loginAtProvider, step } from './support/oidc-flow.js';
import { assertProblem } from './support/problem.js';
import { ADMIN_PASSWORD, AdminClient, type TestServer, ensureInstance, queryDatabase, startTestServer } from './support/server.js';

const CALLBACK_PATH = '/api/v1/session/oidc/callback';

interface SignInOutcome {
  jar: CookieJar;
  callbackUrl: string;
  response: Response;
  /** Where the callback sent the browser, relative to Tessera. */
  location: string;
}

describe('OIDC sign-in', () => {
  let idp: TestIdentityProvider;
  let server: TestServer;
  let jira: any;

  /** Logs in at the provider as `login` and visits the callback, as a browser would. */
  async function signInAs(login: string, start = '/api/v1/session/oidc/start'): Promise<SignInOutcome> {
    const jar = new CookieJar();
    const callbackUrl = await loginAtProvider(jar, server.baseUrl, login, start);
    const response = await step(jar, callbackUrl);
    await response.arrayBuffer();
    return { jar, callbackUrl, response, location: response.headers.get('location') ?? '' };
  }

  /** Builds an admin client on the session of an OIDC sign-in, with the CSRF token from GET /session. */
  async function clientOf(outcome: SignInOutcome): Promise<{ client: AdminClient; session: any }> {
    const client = new AdminClient(server.baseUrl);
    client.cookie = `tessera_session=${outcome.jar.get(server.baseUrl, 'tessera_session')}`;
    const session = await client.get('/session');
    assert.equal(session.status, 200, session.text);
    client.csrfToken = session.body.csrfToken;
    return { client, session: session.body };
  }

  async function latestEvent(action: string, outcome: 'success' | 'failure'): Promise<any> {
    const events = await server.admin.get(`/audit-events?action=${action}&outcome=${outcome}&limit=1`);
    assert.equal(events.status, 200, events.text);
    return events.body.items[0];
  }

  async function adminRow(username: string): Promise<any> {
    const [row] = await queryDatabase(server, `select * from admins where username = '${username}'`);
    return row;
  }

  before(async () => {
    idp = await startIdentityProvider({
      alice: { groups: ['tessera-admins', 'tessera-auditors'], preferred_username: 'alice' },
      olga: { groups: ['tessera-auditors', 'staff'], preferred_username: 'olga' },
      jim: { groups: ['jira-admins', 'tessera-auditors'], preferred_username: 'jim' },
      nick: { groups: ['staff'], preferred_username: 'nick' },
      greta: { groups: ['tessera-admins'], preferred_username: 'greta' },
      mail: { groups: ['tessera-auditors'], email: 'mail.user@example.com' },
      imposter: { groups: ['tessera-admins'], preferred_username: 'admin' },
    });
    server = await startTestServer({ config: { oidc: idp.oidcConfig() } });
    await idp.registerClient(`${server.baseUrl}${CALLBACK_PATH}`);
    jira = await ensureInstance(server, 'jira');
    await ensureInstance(server, 'wiki', 'confluence');
  });

  after(async () => {
    await server?.close();
    await idp?.close();
  });

  it('reports the provider to the panel', async () => {
    const response = await fetch(`${server.baseUrl}/api/v1/session/oidc`);

    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { enabled: true, displayName: 'Test IdP', startUrl: '/api/v1/session/oidc/start' });
  });

  it('start redirects with PKCE, state and nonce', async () => {
    const response = await fetch(`${server.baseUrl}/api/v1/session/oidc/start`, { redirect: 'manual' });
    const location = new URL(response.headers.get('location') ?? '');
    const cookie = response.headers.getSetCookie()[0] ?? '';

    assert.equal(response.status, 303);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(location.origin, idp.issuer);
    assert.equal(location.searchParams.get('response_type'), 'code');
    assert.equal(location.searchParams.get('client_id'), 'tessera-panel');
    assert.equal(location.searchParams.get('redirect_uri'), `${server.baseUrl}${CALLBACK_PATH}`);
    assert.equal(location.searchParams.get('scope'), 'openid profile email groups');
    assert.equal(location.searchParams.get('code_challenge_method'), 'S256');
    assert.match(location.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.match(location.searchParams.get('state') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.match(location.searchParams.get('nonce') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.ok(!location.href.includes(TEST_CLIENT_SECRET), 'the client secret is in the authorization URL');
    assert.match(cookie, /^tessera_oidc=[A-Za-z0-9_-]+; Path=\/api\/v1\/session\/oidc; HttpOnly; SameSite=Lax; Max-Age=600$/);
    assert.ok(!cookie.includes(location.searchParams.get('state')!), 'the state cookie holds the state in clear');
  });

  it('admin group user signs in', async () => {
    const outcome = await signInAs('alice');
    const { session } = await clientOf(outcome);
    const row = await adminRow('alice');

    assert.equal(outcome.response.status, 303);
    assert.equal(outcome.location, '/');
    assert.deepEqual(session.admin, { id: row.id, username: 'alice', role: 'admin' });
    assert.match(session.csrfToken, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(row.auth_source, 'oidc');
    assert.equal(row.external_subject, `${idp.issuer} alice`);
    assert.equal(row.password_hash, '');
    assert.equal(outcome.jar.get(server.baseUrl, 'tessera_oidc'), undefined, 'the state cookie outlived the callback');
  });

  it('sign-in and creation are audited', async () => {
    const signInEvent = await latestEvent('admin.sign_in', 'success');
    const created = await latestEvent('admin.created', 'success');
    const row = await adminRow('alice');

    assert.equal(signInEvent.actor.id, row.id);
    assert.deepEqual(signInEvent.details, { method: 'oidc', issuer: idp.issuer, groups: ['tessera-admins'] });
    assert.equal(created.target.id, row.id);
    assert.equal(created.actor.type, 'system');
    assert.equal(created.details.via, 'oidc_sign_in');
    assert.equal(created.details.after.role, 'admin');
    assert.equal(created.details.after.authSource, 'oidc');
  });

  it('auditor group gets read-only access', async () => {
    const { client, session } = await clientOf(await signInAs('olga'));

    assert.equal(session.admin.role, 'auditor');
    assert.equal((await client.get('/service-accounts')).status, 200);
    assertProblem(await client.post('/service-accounts', { name: 'olga-bot' }), 403, 'forbidden');
    assertProblem(await client.post('/instances', { slug: 'olga', name: 'Olga', profile: 'jira', audience: 'https://olga.example.com' }), 403, 'forbidden');
  });

  it('jira-admins user becomes instance-admin of jira', async () => {
    const { client, session } = await clientOf(await signInAs('jim'));

    assert.deepEqual(session.admin, { id: (await adminRow('jim')).id, username: 'jim', role: 'instance-admin', instances: [jira.id] });
    const created = await client.post('/service-accounts', { name: 'jim-bot', access: [{ instance: 'jira', scopes: ['READ'] }] });
    assert.equal(created.status, 201, created.text);
    assertProblem(await client.post('/service-accounts', { name: 'jim-wiki-bot', access: [{ instance: 'wiki', scopes: ['READ'] }] }), 403, 'forbidden');
  });

  it('user in no mapped group is rejected', async () => {
    const outcome = await signInAs('nick');
    const event = await latestEvent('admin.sign_in', 'failure');

    assert.equal(outcome.response.status, 303);
    assert.equal(outcome.location, '/sign-in?oidc_error=no_mapped_group');
    assert.equal(outcome.jar.get(server.baseUrl, 'tessera_session'), undefined);
    assert.equal(await adminRow('nick'), undefined);
    assert.equal(event.reason, 'no_mapped_group');
    assert.equal(event.actor.type, 'anonymous');
    assert.equal(event.details.method, 'oidc');
    assert.deepEqual(event.details.groups, ['staff']);
    assert.equal(event.details.groupsClaimPresent, true);
  });

  it('tampered state is rejected', async () => {
    const jar = new CookieJar();
    const callbackUrl = new URL(await loginAtProvider(jar, server.baseUrl, 'alice'));
    callbackUrl.searchParams.set('state', 'tampered-state-value');
    const response = await step(jar, callbackUrl.href);

    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/sign-in?oidc_error=state_invalid');
    assert.equal(jar.get(server.baseUrl, 'tessera_session'), undefined);
    assert.equal((await latestEvent('admin.sign_in', 'failure')).reason, 'state_mismatch');
  });

  it('tampered state cookie is rejected', async () => {
    const jar = new CookieJar();
    const callbackUrl = await loginAtProvider(jar, server.baseUrl, 'alice');
    const sealed = jar.get(server.baseUrl, 'tessera_oidc')!;
    jar.set(server.baseUrl, 'tessera_oidc', `${sealed.slice(0, -2)}${sealed.endsWith('AA') ? 'BB' : 'AA'}`);
    const response = await step(jar, callbackUrl);

    assert.equal(response.headers.get('location'), '/sign-in?oidc_error=state_invalid');
    assert.equal((await latestEvent('admin.sign_in', 'failure')).reason, 'state_cookie_invalid');
  });

  it('callback without state cookie is rejected', async () => {
    const jar = new CookieJar();
    const callbackUrl = await loginAtProvider(jar, server.baseUrl, 'alice');
    const response = await fetch(callbackUrl, { redirect: 'manual' });

    assert.equal(response.headers.get('location'), '/sign-in?oidc_error=state_invalid');
    assert.equal((await latestEvent('admin.sign_in', 'failure')).reason, 'state_cookie_missing');
  });

  it('callback replay is rejected', async () => {
    const jar = new CookieJar();
    const callbackUrl = await loginAtProvider(jar, server.baseUrl, 'alice');
    const sealed = jar.get(server.baseUrl, 'tessera_oidc')!;
    const first = await step(jar, callbackUrl);
    assert.equal(first.headers.get('location'), '/');

    const replay = await step(jar, callbackUrl);
    assert.equal(replay.headers.get('location'), '/sign-in?oidc_error=state_invalid');
    assert.equal((await latestEvent('admin.sign_in', 'failure')).reason, 'state_cookie_missing');

    // With the old state cookie put back, the provider rejects the used code.
    jar.set(server.baseUrl, 'tessera_oidc', sealed);
    const withCookie = await step(jar, callbackUrl);
    assert.equal(withCookie.headers.get('location'), '/sign-in?oidc_error=provider_error');
    assert.equal((await latestEvent('admin.sign_in', 'failure')).reason, 'token_request_failed:invalid_grant');
  });

  it('expired state is rejected', async () => {
    const jar = new CookieJar();
    const callbackUrl = await loginAtProvider(jar, server.baseUrl, 'alice');
    server.clock.advance(11 * 60 * 1000);
    try {
      const response = await step(jar, callbackUrl);
      assert.equal(response.headers.get('location'), '/sign-in?oidc_error=state_invalid');
      assert.equal((await latestEvent('admin.sign_in', 'failure')).reason, 'state_expired');
    } finally {
      server.clock.advance(-11 * 60 * 1000);
    }
  });

  it('cancelled sign-in at the provider is audited', async () => {
    const jar = new CookieJar();
    let current = `${server.baseUrl}/api/v1/session/oidc/start`;
    while (!new URL(current).pathname.startsWith('/interaction/')) {
      const response = await step(jar, current);
      current = new URL(response.headers.get('location')!, current).href;
    }
    let response = await step(jar, `${current}/abort`);
    while (new URL(response.headers.get('location')!, idp.issuer).origin === idp.issuer) {
      response = await step(jar, new URL(response.headers.get('location')!, idp.issuer).href);
    }
    const callback = await step(jar, response.headers.get('location')!);
    const event = await latestEvent('admin.sign_in', 'failure');

    assert.equal(callback.headers.get('location'), '/sign-in?oidc_error=access_denied');
    assert.equal(event.reason, 'provider_error:access_denied');
    assert.equal(event.details.error, 'access_denied');
  });

  it('group change updates role at next sign-in', async () => {
    const first = await clientOf(await signInAs('greta'));
    assert.equal(first.session.admin.role, 'admin');

    idp.users.get('greta')!.groups = ['jira-admins'];
    const second = await clientOf(await signInAs('greta'));
    const updated = await latestEvent('admin.updated', 'success');

    assert.deepEqual(second.session.admin, { id: first.session.admin.id, username: 'greta', role: 'instance-admin', instances: [jira.id] });
    assert.equal(updated.target.id, first.session.admin.id);
    assert.equal(updated.actor.type, 'system');
    assert.equal(updated.details.before.role, 'admin');
    assert.equal(updated.details.after.role, 'instance-admin');
    assert.deepEqual(updated.details.after.instances, [jira.id]);
    assert.deepEqual(updated.details.groups, ['jira-admins']);
    // The session opened before the change has the new role too, since roles are read per request.
    assertProblem(await first.client.post('/instances', { slug: 'greta', name: 'Greta', profile: 'jira', audience: 'https://greta.example.com' }), 403, 'forbidden');
  });

  it('unchanged groups write no update event', async () => {
    const before = await latestEvent('admin.updated', 'success');
    await clientOf(await signInAs('greta'));
    const afterwards = await latestEvent('admin.updated', 'success');

    assert.equal(afterwards.id, before.id);
  });

  it('instance-admin of missing instances is rejected', async () => {
    const roleMap = server.tessera.context.config.oidc!.roleMap;
    roleMap.set('ghost-admins', { role: 'instance-admin', instances: ['ghost'] });
    idp.users.set('casper', { groups: ['ghost-admins'], preferred_username: 'casper' });
    try {
      const outcome = await signInAs('casper');
      const event = await latestEvent('admin.sign_in', 'failure');

      assert.equal(outcome.location, '/sign-in?oidc_error=no_mapped_group');
      assert.equal(event.reason, 'mapped_instances_unknown');
      assert.deepEqual(event.details.unknownInstances, ['ghost']);
      assert.equal(await adminRow('casper'), undefined);
    } finally {
      roleMap.delete('ghost-admins');
    }
  });

  it('username falls back to email', async () => {
    const { session } = await clientOf(await signInAs('mail'));

    assert.equal(session.admin.username, 'mail.user@example.com');
    assert.equal(session.admin.role, 'auditor');
  });

  it('returns to the requested panel page', async () => {
    const outcome = await signInAs('alice', '/api/v1/session/oidc/start?next=%2Faudit%3Foutcome%3Dfailure');

    assert.equal(outcome.location, '/audit?outcome=failure');
  });

  it('start rejects a next outside the panel', async () => {
    for (const next of ['//evil.example', 'https://evil.example/', '/api/v1/admins', '/\\evil.example']) {
      const response = await fetch(`${server.baseUrl}/api/v1/session/oidc/start?next=${encodeURIComponent(next)}`, { redirect: 'manual' });
      const body = await response.json();
      assertProblem({ status: response.status, headers: response.headers, body, text: JSON.stringify(body) }, 400, 'validation_failed', 'next');
    }
  });

  it('local admin with the same username is not linked', async () => {
    const outcome = await signInAs('imposter');
    const event = await latestEvent('admin.sign_in', 'failure');
    const local = await adminRow('admin');

    assert.equal(outcome.location, '/sign-in?oidc_error=local_admin_exists');
    assert.equal(event.reason, 'local_admin_exists');
    assert.equal(event.actor.id, local.id);
    assert.equal(local.external_subject, null);
    assert.equal(local.auth_source, 'local');
  });

  it('local admin is linked when allowed', async () => {
    const config = server.tessera.context.config.oidc!;
    config.linkLocalAdmins = true;
    try {
      const { session } = await clientOf(await signInAs('imposter'));
      const local = await adminRow('admin');
      const updated = await latestEvent('admin.updated', 'success');

      assert.equal(session.admin.id, local.id);
      assert.equal(local.external_subject, `${idp.issuer} imposter`);
      assert.equal(updated.details.linked, true);
      assert.equal(updated.target.id, local.id);
      // The linked admin keeps its password for break-glass sign-in.
      assert.equal((await new AdminClient(server.baseUrl).signIn('admin', ADMIN_PASSWORD)).status, 200);
    } finally {
      config.linkLocalAdmins = false;
    }
  });

  it('password sign-in still works', async () => {
    const client = new AdminClient(server.baseUrl);
    const result = await client.signIn('admin', ADMIN_PASSWORD);

    assert.equal(result.status, 200, result.text);
    assert.equal(result.body.admin.role, 'admin');
    assert.equal((await latestEvent('admin.sign_in', 'success')).details.method, 'password');
  });

  it('OIDC admin has no password', async () => {
    const result = await new AdminClient(server.baseUrl).signIn('alice', 'any-password-at-all');

    assertProblem(result, 401, 'invalid_credentials');
    assert.equal((await latestEvent('admin.sign_in', 'failure')).reason, 'no_local_password');
  });

  it('audit log holds no secret', async () => {
    const outcome = await signInAs('alice');
    const code = new URL(outcome.callbackUrl).searchParams.get('code')!;
    const state = new URL(outcome.callbackUrl).searchParams.get('state')!;
    const events = await server.admin.get('/audit-events?limit=200');
    assert.equal(events.status, 200, events.text);
    const text = JSON.stringify(events.body);

    assert.ok(events.body.items.length > 20);
    for (const secret of [TEST_CLIENT_SECRET, code, state, outcome.jar.get(server.baseUrl, 'tessera_session')!]) {
      assert.ok(!text.includes(secret), `the audit log contains ${secret.slice(0, 6)}…`);
    }
  });
});

describe('OIDC sign-in with the provider down', () => {
  let server: TestServer;

  before(async () => {
    // A port that was just free on loopback, so that the connection is refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const oidc = parseOidcConfig({
      TESSERA_OIDC_ISSUER: `http://127.0.0.1:${port}`,
      TESSERA_OIDC_CLIENT_ID: 'tessera-panel',
      TESSERA_OIDC_CLIENT_SECRET: TEST_CLIENT_SECRET,
      TESSERA_OIDC_ROLE_MAP: '{"tessera-admins": "admin"}',
    });
    server = await startTestServer({ config: { oidc } });
  });

  after(() => server?.close());

  it('start returns to sign-in with provider_unavailable', async () => {
    const response = await fetch(`${server.baseUrl}/api/v1/session/oidc/start?next=%2Faudit`, { redirect: 'manual' });

    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/sign-in?oidc_error=provider_unavailable&next=%2Faudit');
    assert.deepEqual(response.headers.getSetCookie(), []);
  });

  it('password sign-in works meanwhile', async () => {
    const result = await new AdminClient(server.baseUrl).signIn('admin', ADMIN_PASSWORD);

    assert.equal(result.status, 200, result.text);
  });
});

describe('OIDC sign-in when off', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });

  after(() => server?.close());

  it('reports OIDC as off', async () => {
    const response = await fetch(`${server.baseUrl}/api/v1/session/oidc`);

    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { enabled: false });
  });

  it('start returns 404 oidc_not_configured', async () => {
    const response = await fetch(`${server.baseUrl}/api/v1/session/oidc/start`, { redirect: 'manual' });
    const body = await response.json();

    assertProblem({ status: response.status, headers: response.headers, body, text: JSON.stringify(body) }, 404, 'oidc_not_configured');
  });
});
