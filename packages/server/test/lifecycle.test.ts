import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type CreatedAccount, type TestServer, basicAuth, createAccount, ensureInstance, introspect, postForm, requestToken, startTestServer } from './support/server.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('account and credential lifecycle', () => {
  let server: TestServer;
  let resourceServer: CreatedAccount;
  let counter = 0;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
    // A product's own account with a grant on the instance, used to introspect other accounts' tokens.
    resourceServer = await createAccount(server, { name: 'jira-resource-server', access: [{ instance: 'jira', scopes: ['READ'] }] });
  });

  after(() => server.close());

  let account: CreatedAccount;
  let token: string;

  beforeEach(async () => {
    counter += 1;
    account = await createAccount(server, {
      name: `lifecycle-${counter}`,
      access: [{ instance: 'jira', scopes: ['WRITE'], resources: { project: ['ABC', 'DEF'] } }],
      credential: { expiresInDays: 30 },
    });
    const issued = await requestToken(server, account);
    assert.equal(issued.status, 200);
    token = issued.body.access_token;
  });

  async function isActive(accessToken = token): Promise<boolean> {
    const result = await introspect(server, resourceServer, accessToken);
    assert.equal(result.status, 200);
    if (!result.body.active) assert.deepEqual(result.body, { active: false });
    return result.body.active;
  }

  it('introspects a fresh token as active', async () => {
    const result = await introspect(server, resourceServer, token);

    assert.equal(result.body.active, true);
    assert.equal(result.body.sub, account.id);
    assert.equal(result.body.client_id, account.clientId);
    assert.equal(result.body.aud, 'https://jira.example.com');
    assert.equal(result.body.credential_id, account.credentialId);
    assert.equal(result.headers.get('cache-control'), 'no-store');
  });

  it('disabling the account deactivates tokens', async () => {
    const disabled = await server.admin.patch(`/service-accounts/${account.id}`, { status: 'disabled' });
    assert.equal(disabled.status, 200);
    assert.equal(disabled.body.status, 'disabled');

    assert.equal(await isActive(), false);
    const refused = await requestToken(server, account);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'invalid_client');

    // Re-enabling does not revive tokens issued before the disable.
    await server.admin.patch(`/service-accounts/${account.id}`, { status: 'active' });
    assert.equal(await isActive(), false);
    const fresh = await requestToken(server, account);
    assert.equal(await isActive(fresh.body.access_token), true);
  });

  it('deleting the account deactivates tokens', async () => {
    const deleted = await server.admin.delete(`/service-accounts/${account.id}`);
    assert.equal(deleted.status, 204);

    assert.equal(await isActive(), false);
    assert.equal((await requestToken(server, account)).status, 401);
  });

  it('revoking the credential deactivates tokens', async () => {
    const revoked = await server.admin.delete(`/service-accounts/${account.id}/credentials/${account.credentialId}`);
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.status, 'revoked');

    assert.equal(await isActive(), false);
    assert.equal((await requestToken(server, account)).status, 401);
  });

  it('narrowing scopes deactivates tokens', async () => {
    const narrowed = await server.admin.patch(`/service-accounts/${account.id}`, { access: [{ instance: 'jira', scopes: ['READ'], resources: { project: ['ABC', 'DEF'] } }] });
    assert.equal(narrowed.status, 200);

    assert.equal(await isActive(), false);
    const fresh = await requestToken(server, account);
    assert.equal(fresh.body.scope, 'READ');
    assert.equal(await isActive(fresh.body.access_token), true);
  });

  it('widening back does not revive tokens', async () => {
    await server.admin.patch(`/service-accounts/${account.id}`, { access: [{ instance: 'jira', scopes: ['READ'], resources: { project: ['ABC', 'DEF'] } }] });
    await server.admin.patch(`/service-accounts/${account.id}`, { access: [{ instance: 'jira', scopes: ['WRITE'], resources: { project: ['ABC', 'DEF'] } }] });

    assert.equal(await isActive(), false);
  });

  it('editing the description keeps tokens', async () => {
    await server.admin.patch(`/service-accounts/${account.id}`, { description: 'renamed purpose' });

    assert.equal(await isActive(), true);
  });

  it('rotating twice is rejected', async () => {
    const first = await server.admin.post(`/service-accounts/${account.id}/credentials/${account.credentialId}/rotate`, { gracePeriodSeconds: 60 });
    const second = await server.admin.post(`/service-accounts/${account.id}/credentials/${account.credentialId}/rotate`, { gracePeriodSeconds: 60 });
    const credentials = await server.admin.get(`/service-accounts/${account.id}/credentials`);

    assert.equal(first.status, 201);
    assert.equal(first.body.expiresAt, new Date(server.clock.now() + 30 * DAY_MS).toISOString());
    assert.equal(second.status, 409);
    assert.equal(second.body.code, 'credential_already_rotated');
    assert.equal(credentials.body.items.length, 2);
    const original = credentials.body.items.find((item: any) => item.id === account.credentialId);
    assert.equal(original.replacedBy, first.body.id);
  });

  it('narrowing resources deactivates tokens', async () => {
    await server.admin.patch(`/service-accounts/${account.id}`, { access: [{ instance: 'jira', scopes: ['WRITE'], resources: { project: ['ABC'] } }] });

    assert.equal(await isActive(), false);
  });

  it('widening a grant keeps tokens active', async () => {
    await server.admin.patch(`/service-accounts/${account.id}`, { access: [{ instance: 'jira', scopes: ['WRITE'], resources: { project: '*' } }] });

    assert.equal(await isActive(), true);
  });

  it('removing the grant deactivates tokens', async () => {
    await server.admin.patch(`/service-accounts/${account.id}`, { access: [] });

    assert.equal(await isActive(), false);
  });

  it('rotation keeps the old secret during grace', async () => {
    const rotated = await server.admin.post(`/service-accounts/${account.id}/credentials/${account.credentialId}/rotate`, { gracePeriodSeconds: 3600 });
    assert.equal(rotated.status, 201);
    assert.match(rotated.body.clientSecret, /^tss_/);
    assert.equal(rotated.body.previous.id, account.credentialId);
    const replacement = { clientId: account.clientId, clientSecret: rotated.body.clientSecret };

    server.clock.advance(3599_000);
    assert.equal((await requestToken(server, account)).status, 200);
    assert.equal((await requestToken(server, replacement)).status, 200);

    server.clock.advance(2_000);
    const afterGrace = await requestToken(server, account);
    assert.equal(afterGrace.status, 401);
    assert.equal(afterGrace.body.error, 'invalid_client');
    assert.equal((await requestToken(server, replacement)).status, 200);
  });

  it('caps token lifetime at credential expiry', async () => {
    await server.admin.post(`/service-accounts/${account.id}/credentials/${account.credentialId}/rotate`, { gracePeriodSeconds: 600 });

    const issued = await requestToken(server, account);
    assert.equal(issued.status, 200);
    assert.ok(issued.body.expires_in <= 600, `expires_in ${issued.body.expires_in} outlives the credential`);
  });

  it('rotation with zero grace ends the old secret', async () => {
    await server.admin.post(`/service-accounts/${account.id}/credentials/${account.credentialId}/rotate`, { gracePeriodSeconds: 0 });

    assert.equal((await requestToken(server, account)).status, 401);
    assert.equal(await isActive(), false);
  });

  it('expired credential fails and its tokens end', async () => {
    server.clock.advance(30 * DAY_MS + 1000);

    assert.equal((await requestToken(server, account)).status, 401);
    assert.equal(await isActive(), false);

    // The admin session has expired too after 30 days.
    await server.admin.signIn();
    const credentials = await server.admin.get(`/service-accounts/${account.id}/credentials`);
    assert.equal(credentials.body.items[0].status, 'expired');
  });

  it('expired token introspects inactive', async () => {
    server.clock.advance(3601_000);

    assert.equal(await isActive(), false);
  });

  it('a second credential works alongside the first', async () => {
    const second = await server.admin.post(`/service-accounts/${account.id}/credentials`, { expiresInDays: 7 });
    assert.equal(second.status, 201);

    const withSecond = await requestToken(server, { clientId: account.clientId, clientSecret: second.body.clientSecret });
    assert.equal(withSecond.status, 200);
    assert.equal((await requestToken(server, account)).status, 200);

    await server.admin.delete(`/service-accounts/${account.id}/credentials/${second.body.id}`);
    assert.equal(await isActive(withSecond.body.access_token), false);
    assert.equal(await isActive(), true);
  });
});

describe('introspection and revocation endpoints', () => {
  let server: TestServer;
  let owner: CreatedAccount;
  let stranger: CreatedAccount;
  let token: string;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
    await ensureInstance(server, 'wiki', 'confluence');
    owner = await createAccount(server, { name: 'owner', access: [{ instance: 'jira', scopes: ['READ'] }] });
    stranger = await createAccount(server, { name: 'stranger', access: [{ instance: 'wiki', scopes: ['READ'] }] });
    token = (await requestToken(server, owner)).body.access_token;
  });

  after(() => server.close());

  it('requires client authentication', async () => {
    const result = await postForm(`${server.baseUrl}/oauth/introspect`, { token });

    assert.equal(result.status, 401);
    assert.equal(result.body.error, 'invalid_client');
  });

  it('requires the token parameter', async () => {
    const result = await postForm(`${server.baseUrl}/oauth/introspect`, {}, { authorization: basicAuth(owner.clientId, owner.clientSecret) });

    assert.equal(result.status, 400);
    assert.equal(result.body.error, 'invalid_request');
  });

  it('answers a malformed token inactive', async () => {
    const result = await introspect(server, owner, 'not-a-jwt');

    assert.equal(result.status, 200);
    assert.deepEqual(result.body, { active: false });
  });

  it('answers a tampered token inactive', async () => {
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: 'WRITE' })).toString('base64url')}.${signature}`;

    assert.deepEqual((await introspect(server, owner, forged)).body, { active: false });
  });

  it('hides tokens from unrelated clients', async () => {
    const result = await introspect(server, stranger, token);

    assert.deepEqual(result.body, { active: false });
  });

  it('revocation by another client changes nothing', async () => {
    const result = await postForm(`${server.baseUrl}/oauth/revoke`, { token }, { authorization: basicAuth(stranger.clientId, stranger.clientSecret) });

    assert.equal(result.status, 200);
    assert.equal((await introspect(server, owner, token)).body.active, true);
  });

  it('revokes its own token', async () => {
    const own = (await requestToken(server, owner)).body.access_token;
    const result = await postForm(`${server.baseUrl}/oauth/revoke`, { token: own, token_type_hint: 'access_token' }, { authorization: basicAuth(owner.clientId, owner.clientSecret) });

    assert.equal(result.status, 200);
    assert.equal(result.text, '');
    assert.deepEqual((await introspect(server, owner, own)).body, { active: false });
    assert.equal((await introspect(server, owner, token)).body.active, true);
  });

  it('answers an unknown token with 200', async () => {
    const result = await postForm(`${server.baseUrl}/oauth/revoke`, { token: 'unknown' }, { authorization: basicAuth(owner.clientId, owner.clientSecret) });

    assert.equal(result.status, 200);
  });

  it('revocation requires client authentication', async () => {
    const result = await postForm(`${server.baseUrl}/oauth/revoke`, { token });

    assert.equal(result.status, 401);
    assert.equal(result.body.error, 'invalid_client');
  });
});
