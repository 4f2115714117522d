import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CreatedAccount, type TestServer, basicAuth, createAccount, ensureInstance, postForm, requestToken, startTestServer } from './support/server.js';

describe('guard endpoints', () => {
  let server: TestServer;
  let product: CreatedAccount;
  let account: CreatedAccount;
  let outsider: CreatedAccount;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira', 'jira', 'https://jira.example.com');
    product = await createAccount(server, { name: 'jira-itself', access: [{ instance: 'jira', scopes: ['READ'] }] });
    account = await createAccount(server, { name: 'script', access: [{ instance: 'jira', scopes: ['WRITE'], resources: { project: ['OPS'] } }] });
    outsider = await createAccount(server, { name: 'no-grants' });
  });

  after(() => server.close());

  async function feed(since?: string, caller = product) {
    const response = await fetch(`${server.baseUrl}/guard/v1/revocations${since === undefined ? '' : `?since=${since}`}`, {
      headers: { authorization: basicAuth(caller.clientId, caller.clientSecret) },
    });
    return { status: response.status, body: await response.json() };
  }

  async function report(body: unknown, caller = product) {
    const response = await fetch(`${server.baseUrl}/guard/v1/usage`, {
      method: 'POST',
      headers: { authorization: basicAuth(caller.clientId, caller.clientSecret), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }

  it('starts with an empty feed', async () => {
    const result = await feed();

    assert.equal(result.status, 200);
    assert.deepEqual(result.body, { items: [], nextCursor: '0' });
  });

  it('lists revocations after the cursor', async () => {
    const start = (await feed()).body.nextCursor;
    const second = await server.admin.post(`/service-accounts/${account.id}/credentials`, { expiresInDays: 5 });
    await server.admin.delete(`/service-accounts/${account.id}/credentials/${second.body.id}`);
    await server.admin.patch(`/service-accounts/${account.id}`, { status: 'disabled' });
    await server.admin.patch(`/service-accounts/${account.id}`, { status: 'active' });
    const token = await requestToken(server, account);
    await postForm(`${server.baseUrl}/oauth/revoke`, { token: token.body.access_token }, { authorization: basicAuth(account.clientId, account.clientSecret) });

    const result = await feed(start);
    const [credential, disabled, revokedToken] = result.body.items;

    assert.equal(result.body.items.length, 3);
    assert.deepEqual(credential, { kind: 'credential', accountId: account.id, credentialId: second.body.id, effectiveAt: new Date(server.clock.now()).toISOString() });
    assert.deepEqual(disabled, { kind: 'account', accountId: account.id, generation: 1 });
    assert.equal(revokedToken.kind, 'token');
    assert.equal(typeof revokedToken.tokenId, 'string');
    assert.deepEqual((await feed(result.body.nextCursor)).body.items, []);
  });

  it('announces a deleted account', async () => {
    const doomed = await createAccount(server, { name: 'doomed', access: [{ instance: 'jira', scopes: ['READ'] }] });
    const start = (await feed()).body.nextCursor;
    await server.admin.delete(`/service-accounts/${doomed.id}`);

    assert.deepEqual((await feed(start)).body.items, [{ kind: 'account_deleted', accountId: doomed.id }]);
  });

  it('announces the end of a rotation grace period', async () => {
    const rotating = await createAccount(server, { name: 'rotating', access: [{ instance: 'jira', scopes: ['READ'] }] });
    const start = (await feed()).body.nextCursor;
    await server.admin.post(`/service-accounts/${rotating.id}/credentials/${rotating.credentialId}/rotate`, { gracePeriodSeconds: 600 });

    const [entry] = (await feed(start)).body.items;
    assert.equal(entry.credentialId, rotating.credentialId);
    assert.equal(entry.effectiveAt, new Date(server.clock.now() + 600_000).toISOString());
  });

  it('shows each product only its own accounts', async () => {
    await ensureInstance(server, 'wiki', 'confluence', 'https://wiki.example.com');
    const wikiProduct = await createAccount(server, { name: 'wiki-itself', access: [{ instance: 'wiki', scopes: ['READ'] }] });
    const wikiUser = await createAccount(server, { name: 'wiki-user', access: [{ instance: 'wiki', scopes: ['READ'] }] });
    const start = (await feed()).body.nextCursor;
    await server.admin.delete(`/service-accounts/${wikiUser.id}/credentials/${wikiUser.credentialId}`);
    await server.admin.patch(`/service-accounts/${account.id}`, { access: [{ instance: 'jira', scopes: ['READ'], resources: { project: ['OPS'] } }] });

    const forJira = await feed(start);
    const forWiki = await feed(start, wikiProduct);

    assert.deepEqual(forJira.body.items.map((item: any) => item.accountId), [account.id]);
    assert.deepEqual(forWiki.body.items.map((item: any) => item.accountId), [wikiUser.id]);
    assert.equal(forJira.body.nextCursor, forWiki.body.nextCursor);
  });

  it('drops entries older than a day', async () => {
    server.clock.advance(25 * 60 * 60 * 1000);
    await server.admin.signIn();

    assert.deepEqual((await feed()).body.items, []);
  });

  it('rejects a client without grants', async () => {
    const result = await feed(undefined, outsider);

    assert.equal(result.status, 403);
    assert.equal(result.body.error, 'access_denied');
  });

  it('rejects a wrong secret', async () => {
    const result = await feed(undefined, { ...product, clientSecret: 'tss_wrong' });

    assert.equal(result.status, 401);
    assert.equal(result.body.error, 'invalid_client');
  });

  it('rejects a malformed cursor', async () => {
    const result = await feed('abc');

    assert.equal(result.status, 400);
    assert.equal(result.body.error, 'invalid_request');
  });

  it('records usage reports as audit events', async () => {
    const occurredAt = new Date(server.clock.now()).toISOString();
    const result = await report({
      audience: 'https://jira.example.com',
      events: [
        { accountId: account.id, credentialId: account.credentialId, tokenId: 'jti-1', method: 'GET', route: '/rest/api/2/issue/:key', status: 200, resource: { type: 'project', id: 'OPS' }, occurredAt },
        { accountId: outsider.id, credentialId: outsider.credentialId, tokenId: 'jti-2', method: 'GET', route: '/x', status: 200, resource: null, occurredAt },
      ],
    });

    assert.equal(result.status, 202);
    assert.deepEqual(result.body, { accepted: 1, rejected: 1 });
    const [event] = (await server.admin.get('/audit-events?action=api.request')).body.items;
    assert.equal(event.actor.id, account.id);
    assert.equal(event.actor.credentialId, account.credentialId);
    assert.deepEqual(event.target, { type: 'project', id: 'OPS', name: null });
    assert.equal(event.details.route, '/rest/api/2/issue/:key');
    assert.equal(event.details.reportedBy, product.id);
    const view = await server.admin.get(`/service-accounts/${account.id}`);
    assert.equal(view.body.lastUsedAt, occurredAt);
  });

  it('rejects usage for another audience', async () => {
    const result = await report({ audience: 'https://elsewhere.example.com', events: [] });

    assert.equal(result.status, 403);
    assert.equal(result.body.error, 'access_denied');
  });

  it('rejects a malformed usage report', async () => {
    const result = await report({ audience: 'https://jira.example.com', events: [{ accountId: account.id }] });

    assert.equal(result.status, 400);
    assert.equal(result.body.error, 'invalid_request');
  });
});
