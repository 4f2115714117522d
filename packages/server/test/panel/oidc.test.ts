import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestIdentityProvider, startIdentityProvider } from '../support/identity-provider.js';
import { type PanelHarness, cspViolations, openPanel, signIn } from './browser.js';

describe('panel OIDC sign-in', () => {
  let idp: TestIdentityProvider;
  let harness: PanelHarness;

  /** Clicks the provider button and logs in at the provider's development login form. */
  async function signInAtProvider(login: string): Promise<void> {
    const { page } = harness;
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
    await page.waitForURL((url) => url.origin === idp.issuer);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any-password');
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((url) => url.origin === harness.server.baseUrl && url.pathname !== '/api/v1/session/oidc/callback');
  }

  before(async () => {
    idp = await startIdentityProvider({
      alice: { groups: ['tessera-admins'], preferred_username: 'alice' },
      nick: { groups: ['staff'], preferred_username: 'nick' },
    });
    harness = await openPanel({ config: { oidc: idp.oidcConfig() }, allowedOrigins: [idp.issuer] });
    await idp.registerClient(`${harness.server.baseUrl}/api/v1/session/oidc/callback`);
  });

  after(async () => {
    await harness?.close();
    await idp?.close();
  });

  it('sign-in page offers the provider and a password', async () => {
    const { page, server } = harness;
    await page.goto(`${server.baseUrl}/sign-in`);

    const button = page.getByRole('link', { name: 'Sign in with Test IdP' });
    await button.waitFor();
    assert.equal(await button.getAttribute('href'), '/api/v1/session/oidc/start');
    assert.ok(await page.getByLabel('Username').isVisible());
    assert.ok(await page.getByLabel('Password').isVisible());
  });

  it('admin group user lands in the panel', async () => {
    const { page, server } = harness;
    await page.goto(`${server.baseUrl}/audit`);
    await page.waitForURL((url) => url.pathname === '/sign-in');
    await signInAtProvider('alice');

    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/audit');
    assert.equal(await page.locator('.account-menu .muted').textContent(), 'alice (admin)');
    const session = await page.evaluate(async () => (await fetch('/api/v1/session')).json());
    assert.equal(session.admin.role, 'admin');
    assert.equal(typeof session.csrfToken, 'string');
  });

  it('OIDC admin can change things', async () => {
    const { page, server } = harness;
    await page.goto(`${server.baseUrl}/instances/new`);
    await page.getByLabel('Name').fill('Jira');
    await page.getByLabel('Slug').fill('jira');
    await page.getByLabel('Audience').fill('https://jira.example.com');
    await page.getByRole('button', { name: 'Add instance' }).click();

    await page.waitForURL((url) => url.pathname === '/instances');
    await page.getByRole('cell', { name: 'jira', exact: true }).first().waitFor();
    const events = await server.admin.get('/audit-events?action=instance.created&limit=1');
    assert.equal(events.body.items[0].actor.name, 'alice');
  });

  it('expired session offers the provider again', async () => {
    const { page, server, context } = harness;
    await page.goto(`${server.baseUrl}/service-accounts`);
    await page.getByRole('heading', { level: 1, name: 'Service accounts' }).waitFor();
    // The page's own requests must be done first; one still running would meet the ended session and open the dialog early.
    await page.waitForLoadState('networkidle');

    // End the browser's session on the server, as an expiry would.
    const cookie = (await context.cookies(server.baseUrl)).find((candidate) => candidate.name === 'tessera_session');
    assert.ok(cookie, 'the browser holds no session cookie');
    const current = await fetch(`${server.baseUrl}/api/v1/session`, { headers: { cookie: `${cookie.name}=${cookie.value}` } });
    const { csrfToken } = (await current.json()) as { csrfToken: string };
    const ended = await fetch(`${server.baseUrl}/api/v1/session`, { method: 'DELETE', headers: { cookie: `${cookie.name}=${cookie.value}`, 'x-csrf-token': csrfToken } });
    assert.equal(ended.status, 204);

    await page.getByRole('link', { name: 'Instances' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Your session has ended' });
    await dialog.waitFor();
    // The provider still has alice's session, so it returns at once without its login form.
    await dialog.getByRole('link', { name: 'Sign in with Test IdP' }).click();

    await page.getByRole('heading', { level: 1, name: 'Instances' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/instances');
    assert.equal(await page.locator('.account-menu .muted').textContent(), 'alice (admin)');
  });

  it('user in no mapped group sees why', async () => {
    const { page, context, server } = harness;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/sign-in');
    // The provider would otherwise sign alice in again from its own session.
    await context.clearCookies();
    await signInAtProvider('nick');

    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.equal(new URL(page.url()).pathname, '/sign-in');
    assert.equal(new URL(page.url()).searchParams.get('oidc_error'), 'no_mapped_group');
    assert.match((await alert.textContent()) ?? '', /your account is in no group that has access to Tessera/);
    const events = await server.admin.get('/audit-events?action=admin.sign_in&outcome=failure&limit=1');
    assert.equal(events.body.items[0].reason, 'no_mapped_group');
  });

  it('password sign-in still works', async () => {
    const { page } = harness;
    await signIn(harness);

    await page.getByRole('heading', { level: 1, name: 'Service accounts' }).waitFor();
    assert.equal(await page.locator('.account-menu .muted').textContent(), 'admin (admin)');
  });

  it('browser stayed on loopback without errors', async () => {
    assert.deepEqual(harness.foreignRequests, []);
    // After the rejected OIDC sign-in the panel checks for a session and gets the expected 401.
    assert.deepEqual(harness.errors.filter((error) => !/status of 401/.test(error)), []);
    assert.deepEqual(await cspViolations(harness.page), []);
  });
});
