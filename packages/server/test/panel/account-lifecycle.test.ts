import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { introspect, requestToken } from '../support/server.js';
import { type PanelHarness, jwtClaims, openPanel, signIn, waitForTable } from './browser.js';

const ACCOUNT_NAME = 'nightly-export';

/** Reads the one-time secret and the client id that the page shows inside `scope`. */
async function readSecret(scope: Page | Locator): Promise<{ clientId: string; clientSecret: string }> {
  const clientId = (await scope.locator('[data-testid="client-id"]').textContent()) ?? '';
  const clientSecret = (await scope.locator('[data-testid="client-secret"]').textContent()) ?? '';
  return { clientId, clientSecret };
}

describe('panel account lifecycle', () => {
  let harness: PanelHarness;
  let accountId = '';
  let clientId = '';
  let firstSecret = '';
  let rotatedSecret = '';
  let thirdSecret = '';

  before(async () => {
    harness = await openPanel();
    await signIn(harness);
  });

  after(() => harness?.close());

  async function credentialIds(): Promise<{ id: string; status: string }[]> {
    const result = await harness.server.admin.get(`/service-accounts/${accountId}/credentials`);
    assert.equal(result.status, 200, result.text);
    return result.body.items;
  }

  it('instance is created through the form', async () => {
    const { page } = harness;
    await page.getByRole('link', { name: 'Instances' }).click();
    await page.getByRole('heading', { name: 'No product instances yet' }).waitFor();
    await page.getByRole('link', { name: 'Add instance' }).first().click();

    await page.getByLabel('Name').fill('Jira (production)');
    await page.getByLabel('Slug').fill('jira');
    await page.getByLabel('Profile').selectOption('jira');
    await page.getByLabel('Audience').fill('https://jira.example.com');
    await page.getByRole('button', { name: 'Add instance' }).click();

    await page.waitForURL((url) => url.pathname === '/instances');
    await page.getByRole('status').filter({ hasText: 'Added the instance Jira (production).' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'https://jira.example.com' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /Jira \(production\)jirajira/);
  });

  it('account is created with restricted access', async () => {
    const { page } = harness;
    await page.getByRole('link', { name: 'Service accounts' }).click();
    await page.getByRole('heading', { name: 'No service accounts yet' }).waitFor();
    await page.getByRole('link', { name: 'Create service account' }).first().click();

    await page.locator('#account-name').fill(ACCOUNT_NAME);
    await page.getByLabel('Description').fill('Exports issues every night.');
    await page.getByLabel('Owner').fill('ops-team');
    await page.getByLabel('Add access to').selectOption('jira');
    await page.getByRole('button', { name: 'Add access' }).click();

    const admin = page.getByRole('checkbox', { name: 'ADMIN', exact: true });
    assert.equal(await admin.isDisabled(), true);
    assert.match((await page.locator(`#${await admin.getAttribute('aria-describedby')}`).textContent()) ?? '', /service accounts cannot hold it/);

    await page.getByRole('checkbox', { name: 'WRITE', exact: true }).check();
    assert.match((await page.locator('.scope-picker .field-hint').textContent()) ?? '', /READ, WRITE, read:comment, read:issue, read:project, write:comment, write:issue/);
    await page.getByRole('radio', { name: 'Only these ids' }).check();
    await page.getByLabel('project ids').fill('OPS, WEB');
    await page.getByRole('radio', { name: 'In 180 days' }).check();
    await page.getByRole('button', { name: 'Create service account' }).click();

    await page.waitForURL((url) => url.pathname.endsWith('/created'));
    accountId = new URL(page.url()).pathname.split('/')[2];
    const stored = await harness.server.admin.get(`/service-accounts/${accountId}`);
    assert.equal(stored.status, 200, stored.text);
    assert.equal(stored.body.name, ACCOUNT_NAME);
    assert.equal(stored.body.owner, 'ops-team');
    assert.deepEqual(stored.body.access.map((grant: any) => ({ instance: grant.instance, scopes: grant.scopes, resources: grant.resources })), [
      { instance: 'jira', scopes: ['WRITE'], resources: { project: ['OPS', 'WEB'] } },
    ]);
  });

  it('result page shows the secret once', async () => {
    const { page, context, server } = harness;
    ({ clientId, clientSecret: firstSecret } = await readSecret(page));
    assert.match(clientId, /^tsc_/);
    assert.match(firstSecret, /^tss_/);
    assert.match((await page.getByRole('status').filter({ hasText: 'Copy the client secret now' }).textContent()) ?? '', /will not be shown again/);

    const command = (await page.locator('.command-text').textContent()) ?? '';
    assert.equal(command, `curl -u "${clientId}:${firstSecret}" -d grant_type=client_credentials ${server.baseUrl}/oauth/token`);

    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    await page.getByRole('button', { name: 'Copy client secret' }).click();
    await page.getByText('Copied the client secret.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), firstSecret);

    // Leaving the page drops the secret: coming back shows that it is gone.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Secret no longer available' }).waitFor();
    assert.equal(await page.locator('[data-testid="client-secret"]').count(), 0);
  });

  it('secret from the page gets a token', async () => {
    const token = await requestToken(harness.server, { clientId, clientSecret: firstSecret });
    assert.equal(token.status, 200, token.text);

    const claims = jwtClaims(token.body.access_token);
    assert.equal(claims.aud, 'https://jira.example.com');
    assert.equal(claims.client_id, clientId);
    assert.equal(claims.scope, 'WRITE');
    assert.deepEqual(claims.resources, { project: ['OPS', 'WEB'] });
  });

  it('narrowed access ends wider tokens', async () => {
    const { page, server } = harness;
    const wide = await requestToken(server, { clientId, clientSecret: firstSecret });
    assert.equal(wide.status, 200, wide.text);

    await page.goto(`${server.baseUrl}/service-accounts/${accountId}/access`);
    const ids = page.getByLabel('project ids');
    assert.equal(await ids.inputValue(), 'OPS, WEB');
    await ids.fill('OPS');
    await page.getByRole('button', { name: 'Save access' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved the access.' }).waitFor();

    const stored = await server.admin.get(`/service-accounts/${accountId}`);
    assert.deepEqual(stored.body.access[0].resources, { project: ['OPS'] });
    const introspection = await introspect(server, { clientId, clientSecret: firstSecret }, wide.body.access_token);
    assert.equal(introspection.status, 200, introspection.text);
    assert.equal(introspection.body.active, false);

    await page.getByRole('tab', { name: 'Overview' }).click();
    const summary = page.getByRole('table', { name: 'Access grants' });
    assert.match((await summary.textContent()) ?? '', /project: OPS$/);
  });

  it('rotation with no grace ends the old secret', async () => {
    const { page, server } = harness;
    await page.goto(`${server.baseUrl}/service-accounts/${accountId}/credentials`);
    const [first] = await credentialIds();
    await page.locator(`tr[data-credential-id="${first.id}"]`).getByRole('button', { name: 'Rotate' }).click();

    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Grace period for the old secret').selectOption('0');
    await dialog.getByRole('button', { name: 'Rotate' }).click();
    await dialog.waitFor({ state: 'detached' });

    const reveal = page.locator('.new-secret');
    ({ clientSecret: rotatedSecret } = await readSecret(reveal));
    assert.match(rotatedSecret, /^tss_/);
    assert.notEqual(rotatedSecret, firstSecret);
    await page.locator(`tr[data-credential-id="${first.id}"]`).getByText('Expired').waitFor();

    const old = await requestToken(server, { clientId, clientSecret: firstSecret });
    assert.equal(old.status, 401, old.text);
    assert.equal(old.body.error, 'invalid_client');
    const renewed = await requestToken(server, { clientId, clientSecret: rotatedSecret });
    assert.equal(renewed.status, 200, renewed.text);
  });

  it('revoked secret no longer gets tokens', async () => {
    const { page, server } = harness;
    await page.getByRole('button', { name: 'I have copied the secret' }).click();
    const rotated = (await credentialIds()).find((credential) => credential.status === 'active');
    assert.ok(rotated, 'no active credential after rotation');

    await page.locator(`tr[data-credential-id="${rotated.id}"]`).getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator(`tr[data-credential-id="${rotated.id}"]`).getByText('Revoked').waitFor();
    await page.getByRole('status').filter({ hasText: `Revoked credential ${rotated.id.slice(0, 8)}.` }).waitFor();

    const refused = await requestToken(server, { clientId, clientSecret: rotatedSecret });
    assert.equal(refused.status, 401, refused.text);
    assert.equal(refused.body.error, 'invalid_client');
  });

  it('new credential from the tab works', async () => {
    const { page, server } = harness;
    await page.getByRole('button', { name: 'Create credential' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create credential' });
    await dialog.getByRole('radio', { name: 'In 30 days' }).check();
    await dialog.getByRole('button', { name: 'Create credential' }).click();
    await dialog.waitFor({ state: 'detached' });

    ({ clientSecret: thirdSecret } = await readSecret(page.locator('.new-secret')));
    const token = await requestToken(server, { clientId, clientSecret: thirdSecret });
    assert.equal(token.status, 200, token.text);
  });

  it('disabled account gets no token', async () => {
    const { page, server } = harness;
    await page.getByRole('button', { name: 'Disable' }).click();
    const dialog = page.getByRole('dialog', { name: `Disable ${ACCOUNT_NAME}?` });
    await dialog.getByRole('button', { name: 'Disable account' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: `Disabled ${ACCOUNT_NAME}.` }).waitFor();
    await page.getByRole('heading', { level: 1 }).getByText('Disabled').waitFor();

    const refused = await requestToken(server, { clientId, clientSecret: thirdSecret });
    assert.equal(refused.status, 401, refused.text);

    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Enable account' }).click();
    await page.getByRole('heading', { level: 1 }).getByText('Active').waitFor();
    const accepted = await requestToken(server, { clientId, clientSecret: thirdSecret });
    assert.equal(accepted.status, 200, accepted.text);
  });

  it('delete needs the typed name', async () => {
    const { page, server } = harness;
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: `Delete ${ACCOUNT_NAME}?` });
    const confirm = dialog.getByRole('button', { name: 'Delete account' });
    assert.equal(await confirm.isDisabled(), true);

    await dialog.getByLabel(`Type the account name, ${ACCOUNT_NAME}, to confirm`).fill('nightly');
    assert.equal(await confirm.isDisabled(), true);
    await dialog.getByLabel(`Type the account name, ${ACCOUNT_NAME}, to confirm`).fill(ACCOUNT_NAME);
    await confirm.click();

    await page.waitForURL((url) => url.pathname === '/service-accounts');
    await page.getByRole('status').filter({ hasText: `Deleted the service account ${ACCOUNT_NAME}.` }).waitFor();
    await page.getByRole('heading', { name: 'No service accounts yet' }).waitFor();
    assert.equal((await server.admin.get(`/service-accounts/${accountId}`)).status, 404);
    const refused = await requestToken(server, { clientId, clientSecret: thirdSecret });
    assert.equal(refused.status, 401, refused.text);
  });

  it('audit log lists the events', async () => {
    const { page } = harness;
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByLabel('Action').fill('credential.*');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL((url) => url.searchParams.get('action') === 'credential.*');
    await waitForTable(page);

    const rows = page.locator('tr[data-event-action]');
    const credentialActions = await rows.evaluateAll((elements) => elements.map((element) => element.getAttribute('data-event-action')));
    assert.deepEqual([...new Set(credentialActions)].sort(), ['credential.created', 'credential.revoked', 'credential.rotated']);
    // One credential came with the account and one from the tab; rotation records credential.rotated.
    assert.equal(credentialActions.filter((action) => action === 'credential.created').length, 2);

    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Target ID').fill(accountId);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL((url) => url.searchParams.get('target') === accountId);
    await waitForTable(page);
    const accountActions = await rows.evaluateAll((elements) => elements.map((element) => element.getAttribute('data-event-action')));
    assert.deepEqual(accountActions, ['account.deleted', 'account.enabled', 'account.disabled', 'account.updated', 'account.created']);

    const disabled = page.locator('tr[data-event-action="account.disabled"]');
    const toggle = disabled.getByRole('button');
    assert.match((await toggle.textContent()) ?? '', /^Details of event \d+$/);
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    const detail = page.locator(`#${await toggle.getAttribute('aria-controls')}`);
    const [before, afterChange] = await detail.locator('.before-after pre').allTextContents();
    assert.equal(JSON.parse(before).status, 'active');
    assert.equal(JSON.parse(afterChange).status, 'disabled');

    // Token requests are audited with the account as actor.
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Actor', { exact: true }).fill(accountId);
    await page.getByLabel('Outcome').selectOption('failure');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.locator('tr[data-event-action="token.refused"]').first().waitFor();
    assert.deepEqual(harness.foreignRequests, []);
  });
});
