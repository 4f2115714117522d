import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem } from './support/problem.js';
import { type CreatedAccount, type HttpResult, type TestServer, createAccount, ensureInstance, queryDatabase, requestToken, startTestServer } from './support/server.js';

/** Sends a request to the admin API with a bearer token and no session cookie or CSRF token. */
async function withToken(server: TestServer, token: string, method: string, path: string, body?: unknown): Promise<HttpResult> {
  const response = await fetch(`${server.baseUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined, text };
}

async function adminToken(server: TestServer, account: CreatedAccount): Promise<string> {
  const token = await requestToken(server, account, { resource: `${server.baseUrl}/api/v1` });
  assert.equal(token.status, 200, token.text);
  return token.body.access_token;
}

async function latestEvent(server: TestServer, action: string): Promise<any> {
  const result = await server.admin.get(`/audit-events?action=${action}&limit=1`);
  assert.equal(result.status, 200, result.text);
  return result.body.items[0];
}

describe('admin API tokens', () => {
  let server: TestServer;
  let reader: CreatedAccount;
  let writer: CreatedAccount;
  let jiraOnly: CreatedAccount;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira', 'jira', 'https://jira.example.com');
    assert.equal((await server.admin.put('/policy', { scopes: { adminScopesAllowed: true } })).status, 200);
    reader = await createAccount(server, { name: 'audit-exporter', access: [{ instance: 'tessera', scopes: ['admin:read'], resources: {} }] });
    writer = await createAccount(server, { name: 'provisioner', access: [{ instance: 'tessera', scopes: ['admin:write'], resources: {} }] });
    jiraOnly = await createAccount(server, { name: 'jira-sync', access: [{ instance: 'jira', scopes: ['READ'], resources: { project: '*' } }] });
  });

  after(() => server.close());

  it('tessera instance exists at start', async () => {
    const result = await server.admin.get('/instances/tessera');

    assert.equal(result.status, 200, result.text);
    assert.equal(result.body.profile, 'tessera');
    assert.equal(result.body.audience, `${server.baseUrl}/api/v1`);
  });

  it('admin:write needs the policy opt-in', async () => {
    assert.equal((await server.admin.put('/policy', {})).status, 200);
    const refused = await server.admin.post('/service-accounts', { name: 'no-opt-in', access: [{ instance: 'tessera', scopes: ['admin:write'], resources: {} }] });
    assert.equal((await server.admin.put('/policy', { scopes: { adminScopesAllowed: true } })).status, 200);

    assertProblem(refused, 400, 'admin_scope_not_allowed', 'access[0].scopes[0]');
  });

  it('read scope lists accounts', async () => {
    const token = await adminToken(server, reader);
    const result = await withToken(server, token, 'GET', '/service-accounts');

    assert.equal(result.status, 200, result.text);
    assert.ok(result.body.items.some((account: any) => account.name === 'provisioner'));
  });

  it('read scope cannot create, audited', async () => {
    const token = await adminToken(server, reader);
    const result = await withToken(server, token, 'POST', '/instances', { slug: 'from-reader', name: 'From reader', profile: 'generic', audience: 'https://from-reader.example.com' });

    assertProblem(result, 403, 'forbidden');
    assert.match(result.body.detail, /admin:read/);
    assert.equal((await server.admin.get('/instances/from-reader')).status, 404);

    const event = await latestEvent(server, 'admin.forbidden');
    assert.deepEqual(event.actor, { type: 'service_account', id: reader.id, name: 'audit-exporter', credentialId: reader.credentialId });
    assert.equal(event.details.path, '/api/v1/instances');
    assert.ok(!JSON.stringify(event).includes(token));
  });

  it('write scope creates without CSRF', async () => {
    const token = await adminToken(server, writer);
    const result = await withToken(server, token, 'POST', '/instances', { slug: 'from-writer', name: 'From writer', profile: 'generic', audience: 'https://from-writer.example.com' });

    assert.equal(result.status, 201, result.text);
    const event = await latestEvent(server, 'instance.created');
    assert.deepEqual(event.actor, { type: 'service_account', id: writer.id, name: 'provisioner', credentialId: writer.credentialId });
    assert.equal(event.target.id, result.body.id);
  });

  it('write scope cannot manage admins', async () => {
    const token = await adminToken(server, writer);

    assertProblem(await withToken(server, token, 'GET', '/admins'), 403, 'forbidden');
    assertProblem(await withToken(server, token, 'POST', '/admins', { username: 'robot', password: 'a-long-password-1', role: 'admin' }), 403, 'forbidden');
    assertProblem(await withToken(server, token, 'GET', '/session'), 403, 'forbidden');
    const admins = await server.admin.get('/admins');
    assert.ok(!admins.body.items.some((admin: any) => admin.username === 'robot'));
  });

  it('token for another instance is refused', async () => {
    const token = await requestToken(server, jiraOnly);
    const result = await withToken(server, token.body.access_token, 'GET', '/service-accounts');

    assertProblem(result, 403, 'service_account_sign_in');
    const event = await latestEvent(server, 'admin.access_refused');
    assert.equal(event.reason, 'service_account_token');
    assert.equal(event.actor.id, jiraOnly.id);
  });

  it('malformed bearer token is refused', async () => {
    const result = await withToken(server, 'not-a-token', 'GET', '/service-accounts');

    assertProblem(result, 403, 'service_account_sign_in');
    const event = await latestEvent(server, 'admin.access_refused');
    assert.equal(event.actor.type, 'anonymous');
  });

  it('revoked credential is refused at once', async () => {
    const account = await createAccount(server, { name: 'short-lived-reader', access: [{ instance: 'tessera', scopes: ['admin:read'], resources: {} }] });
    const token = await adminToken(server, account);
    assert.equal((await withToken(server, token, 'GET', '/instances')).status, 200);

    assert.equal((await server.admin.delete(`/service-accounts/${account.id}/credentials/${account.credentialId}`)).status, 200);
    const result = await withToken(server, token, 'GET', '/instances');

    assertProblem(result, 401, 'invalid_token');
    assert.equal(result.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    const event = await latestEvent(server, 'admin.access_refused');
    assert.equal(event.reason, 'token_inactive');
    assert.equal(event.actor.credentialId, account.credentialId);
  });

  it('disabled account is refused', async () => {
    const account = await createAccount(server, { name: 'paused-reader', access: [{ instance: 'tessera', scopes: ['admin:read'], resources: {} }] });
    const token = await adminToken(server, account);
    assert.equal((await server.admin.patch(`/service-accounts/${account.id}`, { status: 'disabled' })).status, 200);

    assertProblem(await withToken(server, token, 'GET', '/instances'), 401, 'invalid_token');
  });

  it('built-in instance cannot be deleted', async () => {
    assertProblem(await server.admin.delete('/instances/tessera'), 409, 'instance_built_in');
    assertProblem(await server.admin.patch('/instances/tessera', { profile: 'generic' }), 409, 'instance_built_in');
    assertProblem(await server.admin.patch('/instances/tessera', { audience: 'https://elsewhere.example.com' }), 409, 'instance_built_in');

    const renamed = await server.admin.patch('/instances/tessera', { name: 'Automation' });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.body.profile, 'tessera');
  });

  it('tessera profile is reserved', async () => {
    const result = await server.admin.post('/instances', { slug: 'second-tessera', name: 'Second', profile: 'tessera', audience: 'https://second.example.com' });

    assertProblem(result, 400, 'validation_failed', 'profile');
    assertProblem(await server.admin.patch('/instances/jira', { profile: 'generic' }), 400, 'validation_failed', 'profile');
  });

  it('instance-admin cannot get tessera', async () => {
    const result = await server.admin.post('/admins', { username: 'delegate', password: 'a-long-password-2', role: 'instance-admin', instances: ['tessera'] });

    assertProblem(result, 400, 'validation_failed', 'instances[0]');
  });

  it('restart keeps one tessera instance', async () => {
    const again = await startTestServer({ directory: server.directory });
    try {
      const instances = await again.admin.get('/instances');
      const builtIn = instances.body.items.filter((instance: any) => instance.profile === 'tessera');
      assert.equal(builtIn.length, 1);
      assert.equal(builtIn[0].audience, `${again.baseUrl}/api/v1`);
    } finally {
      await again.stop();
    }
  });
});

describe('tessera instance at start', () => {
  it('slug held by an admin instance blocks it', async () => {
    // An instance that admins created with the slug before this version stays as it is.
    const first = await startTestServer();
    await queryDatabase(first, "update instances set profile = 'generic', name = 'Tessera product' where slug = 'tessera'");
    await first.stop();

    const restarted = await startTestServer({ directory: first.directory });
    try {
      const instances = await restarted.admin.get('/instances');
      assert.deepEqual(
        instances.body.items.map((instance: any) => [instance.slug, instance.profile, instance.name, instance.audience]),
        [['tessera', 'generic', 'Tessera product', `${first.baseUrl}/api/v1`]],
      );
    } finally {
      await restarted.close();
    }
  });
});
