import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, createAccount } from '../support/server.js';
import { type PanelHarness, openPanel, signIn } from './browser.js';

describe('panel sign-in', () => {
  let harness: PanelHarness;

  before(async () => {
    harness = await openPanel();
  });

  after(() => harness?.close());

  it('unauthenticated page redirects to sign-in', async () => {
    const { page, server } = harness;
    await page.goto(`${server.baseUrl}/audit?outcome=failure`);

    await page.waitForURL((url) => url.pathname === '/sign-in');
    assert.equal(new URL(page.url()).searchParams.get('next'), '/audit?outcome=failure');
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Sign in');
  });

  it('wrong password shows error and keeps input', async () => {
    const { page } = harness;
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();

    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.equal(await alert.textContent(), 'The username or password is wrong.');
    assert.equal(await page.getByLabel('Username').inputValue(), 'admin');
    assert.equal(await page.getByLabel('Password').inputValue(), 'not-the-password');
  });

  it('admin sign-in returns to the requested page', async () => {
    const { page, server } = harness;
    await signIn(harness, '/audit?outcome=failure');

    assert.equal(new URL(page.url()).pathname, '/audit');
    assert.equal(new URL(page.url()).search, '?outcome=failure');
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    assert.equal(await page.getByLabel('Outcome').inputValue(), 'failure');

    // The session cookie carries over a reload, and GET /session returns the CSRF token again.
    await page.goto(`${server.baseUrl}/service-accounts`);
    await page.getByRole('heading', { level: 1, name: 'Service accounts' }).waitFor();
    await page.getByRole('heading', { name: 'No service accounts yet' }).waitFor();
    assert.ok(await page.getByRole('link', { name: 'Create service account' }).first().isVisible());
  });

  it('sign-out returns to the sign-in page', async () => {
    const { page, server } = harness;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/sign-in');

    await page.goto(`${server.baseUrl}/instances`);
    await page.waitForURL((url) => url.pathname === '/sign-in');
    assert.equal(new URL(page.url()).searchParams.get('next'), '/instances');
  });

  it('service account client id gets the explanation', async () => {
    const { page, server } = harness;
    const account = await createAccount(server, { name: 'report-bot' });

    for (const username of [account.clientId, 'report-bot']) {
      await page.goto(`${server.baseUrl}/sign-in`);
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(account.clientSecret);
      await page.getByRole('button', { name: 'Sign in' }).click();

      const explanation = page.locator('#service-account-explanation');
      await explanation.waitFor();
      const text = (await explanation.textContent()) ?? '';
      assert.match(text, /is a service account, and service accounts have no interactive sign-in/);
      assert.ok(text.includes(`"${username}"`) || text.includes(`“${username}”`), text);
      assert.ok(text.includes(`${server.baseUrl}/oauth/token`), text);
      assert.match(text, /client ID and secret/);
      assert.equal(new URL(page.url()).pathname, '/sign-in');
    }
  });

  it('expired session asks to sign in and keeps the form', async () => {
    const { page, server, context } = harness;
    await signIn(harness, '/service-accounts/new');
    await page.locator('#account-name').fill('kept-after-sign-in');
    await page.getByLabel('Owner').fill('platform');

    // End the browser's session on the server, as an expiry would.
    const cookie = (await context.cookies(server.baseUrl)).find((candidate) => candidate.name === 'tessera_session');
    assert.ok(cookie, 'the browser holds no session cookie');
    const current = await fetch(`${server.baseUrl}/api/v1/session`, { headers: { cookie: `${cookie.name}=${cookie.value}` } });
    const { csrfToken } = (await current.json()) as { csrfToken: string };
    const ended = await fetch(`${server.baseUrl}/api/v1/session`, { method: 'DELETE', headers: { cookie: `${cookie.name}=${cookie.value}`, 'x-csrf-token': csrfToken } });
    assert.equal(ended.status, 204);

    await page.getByRole('button', { name: 'Create service account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Your session has ended' });
    await dialog.waitFor();
    await dialog.getByLabel('Username').fill('admin');
    await dialog.getByLabel('Password').fill(ADMIN_PASSWORD);
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await dialog.waitFor({ state: 'detached' });

    assert.equal(await page.locator('#account-name').inputValue(), 'kept-after-sign-in');
    assert.equal(await page.getByLabel('Owner').inputValue(), 'platform');
    await page.getByRole('button', { name: 'Create service account' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/created'));
    await page.getByRole('heading', { level: 1, name: 'Service account kept-after-sign-in created' }).waitFor();
    assert.deepEqual(harness.foreignRequests, []);
  });
});
