import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestServer, createAccount, ensureInstance, requestToken, startTestServer } from './support/server.js';

describe('admin API input strictness', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
  });

  after(() => server.close());

  async function rawPost(path: string, body: string | Buffer, contentType = 'application/json') {
    const response = await fetch(`${server.baseUrl}/api/v1${path}`, {
      method: 'POST',
      headers: { cookie: server.admin.cookie, 'x-csrf-token': server.admin.csrfToken, 'content-type': contentType },
      body: typeof body === 'string' ? body : new Blob([new Uint8Array(body)]),
    });
    return { status: response.status, body: await response.json() };
  }

  it('rejects invalid UTF-8 bytes', async () => {
    const result = await rawPost('/service-accounts', Buffer.concat([Buffer.from('{"name":"ct-'), Buffer.from([0xff]), Buffer.from('"}')]));

    assert.equal(result.status, 400);
    assert.equal(result.body.code, 'invalid_json');
    assert.match(result.body.detail, /not valid UTF-8/);
  });

  it('rejects a charset other than UTF-8', async () => {
    const result = await rawPost('/service-accounts', '{"name":"latin"}', 'application/json; charset=latin1');

    assert.equal(result.status, 415);
    assert.equal(result.body.code, 'unsupported_media_type');
  });

  it('rejects an unpaired surrogate', async () => {
    const result = await rawPost('/service-accounts', '{"name":"bad\\ud800x"}');

    assert.equal(result.status, 400);
    assert.equal(result.body.field, 'name');
  });

  it('rejects a bidirectional override in names', async () => {
    const result = await server.admin.post('/service-accounts', { name: 'invoice\u202Etxt.exe' });

    assert.equal(result.status, 400);
    assert.equal(result.body.field, 'name');
  });

  it('names the limits of resource ids', async () => {
    const result = await server.admin.post('/service-accounts', { name: 'many-ids', access: [{ instance: 'jira', scopes: ['READ'], resources: { project: Array.from({ length: 1001 }, (_, i) => `P${i}`) } }] });

    assert.equal(result.status, 400);
    assert.match(result.body.detail, /at most 1000 ids of 1 to 255 characters/);
  });

  it('rejects resource ids with edge spaces', async () => {
    const result = await server.admin.post('/service-accounts', { name: 'spaced', access: [{ instance: 'jira', scopes: ['READ'], resources: { project: [' OPS'] } }] });

    assert.equal(result.status, 400);
    assert.equal(result.body.code, 'validation_failed');
  });

  it('stores an empty id list as no access', async () => {
    const account = await createAccount(server, { name: 'empty-list', access: [{ instance: 'jira', scopes: ['READ'], resources: { project: [] } }] });
    const token = await requestToken(server, account);
    const claims = JSON.parse(Buffer.from(token.body.access_token.split('.')[1], 'base64url').toString());

    assert.deepEqual(account.body.access[0].resources, {});
    assert.deepEqual(claims.resources, {});
  });

  it('names case-insensitive duplicates', async () => {
    await createAccount(server, { name: 'Nightly-Export' });
    const result = await server.admin.post('/service-accounts', { name: 'nightly-export' });

    assert.equal(result.status, 409);
    assert.equal(result.body.code, 'name_taken');
  });

  it('accepts an action POST without body', async () => {
    const account = await createAccount(server, { name: 'no-body' });
    const response = await fetch(`${server.baseUrl}/api/v1/service-accounts/${account.id}/credentials`, {
      method: 'POST',
      headers: { cookie: server.admin.cookie, 'x-csrf-token': server.admin.csrfToken },
    });

    assert.equal(response.status, 201);
  });

  it('rejects unknown query parameters on instances', async () => {
    const result = await server.admin.get('/instances?foo=1');

    assert.equal(result.status, 400);
    assert.equal(result.body.field, 'foo');
  });

  it('gives the range for a large limit', async () => {
    const result = await server.admin.get('/service-accounts?limit=1000000');

    assert.equal(result.status, 400);
    assert.match(result.body.detail, /from 1 to 200/);
  });

  it('rejects a day that does not exist', async () => {
    const result = await server.admin.get('/audit-events?from=2026-02-30T00:00:00Z');

    assert.equal(result.status, 400);
    assert.equal(result.body.field, 'from');
  });

  it('rejects a negative audit cursor', async () => {
    const cursor = Buffer.from(JSON.stringify({ seq: -1 })).toString('base64url');
    const result = await server.admin.get(`/audit-events?cursor=${cursor}`);

    assert.equal(result.status, 400);
    assert.equal(result.body.code, 'invalid_cursor');
  });

  it('filters audit events by names', async () => {
    const byInstance = await server.admin.get('/audit-events?instance=jira&action=instance.created');
    const byActor = await server.admin.get('/audit-events?actor=admin&action=instance.created');
    const unknown = await server.admin.get('/audit-events?instance=nope');

    assert.equal(byInstance.body.items.length, 1);
    assert.equal(byActor.body.items.length, 1);
    assert.equal(byActor.body.items[0].actor.name, 'admin');
    assert.equal(unknown.status, 400);
  });

  it('explains the action prefix form', async () => {
    const result = await server.admin.get('/audit-events?action=cred*');

    assert.equal(result.status, 400);
    assert.equal(result.body.field, 'action');
    assert.match(result.body.detail, /credential\.\*/);
  });

  it('explains that a slug cannot change', async () => {
    const result = await server.admin.patch('/instances/jira', { slug: 'jira2' });

    assert.equal(result.status, 400);
    assert.equal(result.body.field, 'slug');
    assert.match(result.body.detail, /slug cannot change/);
  });

  it('rejects double spaces in scope', async () => {
    const account = await createAccount(server, { name: 'scopes', access: [{ instance: 'jira', scopes: ['WRITE'] }] });
    const result = await requestToken(server, account, { scope: 'READ  WRITE' });

    assert.equal(result.status, 400);
    assert.equal(result.body.error, 'invalid_scope');
  });
});
