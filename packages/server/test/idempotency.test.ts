import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pruneIdempotencyKeys, storeIdempotentResponse } from '../src/storage/idempotency-keys.js';
import { assertProblem } from './support/problem.js';
import { type TestServer, createAccount, ensureInstance, queryDatabase, requestToken, startTestServer } from './support/server.js';

const HOUR_MS = 60 * 60 * 1000;

describe('idempotency keys', () => {
  let server: TestServer;
  let counter = 0;
  const key = () => `key-${Date.now()}-${++counter}`;
  const name = () => `idem-${++counter}`;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
  });

  after(() => server.close());

  function postWithKey(path: string, body: unknown, idempotencyKey: string) {
    return server.admin.request('POST', path, body, { 'idempotency-key': idempotencyKey });
  }

  async function countAccountsNamed(accountName: string): Promise<number> {
    const list = await server.admin.get(`/service-accounts?search=${encodeURIComponent(accountName)}`);
    return list.body.items.filter((item: { name: string }) => item.name === accountName).length;
  }

  it('replay returns the first response', async () => {
    const idempotencyKey = key();
    const body = { name: name(), access: [{ instance: 'jira', scopes: ['READ'] }] };

    const first = await postWithKey('/service-accounts', body, idempotencyKey);
    const second = await postWithKey('/service-accounts', body, idempotencyKey);

    assert.equal(first.status, 201, first.text);
    assert.equal(first.headers.get('idempotency-replayed'), null);
    assert.equal(second.status, 201);
    assert.equal(second.headers.get('idempotency-replayed'), 'true');
    assert.deepEqual(second.body, first.body);
    assert.equal(await countAccountsNamed(body.name), 1);

    // The replayed secret is the one that works.
    const token = await requestToken(server, { clientId: second.body.clientId, clientSecret: second.body.credential.clientSecret });
    assert.equal(token.status, 200, token.text);
  });

  it('replay matches a reordered body', async () => {
    const idempotencyKey = key();
    const first = await postWithKey('/service-accounts', { name: 'idem-order', description: 'd' }, idempotencyKey);
    const second = await postWithKey('/service-accounts', { description: 'd', name: 'idem-order' }, idempotencyKey);

    assert.equal(first.status, 201, first.text);
    assert.equal(second.headers.get('idempotency-replayed'), 'true');
    assert.equal(second.body.id, first.body.id);
  });

  it('stores no secret in clear', async () => {
    const idempotencyKey = key();
    const created = await postWithKey('/service-accounts', { name: name() }, idempotencyKey);
    assert.equal(created.status, 201, created.text);

    const rows = await queryDatabase<{ response_body: string }>(server, `select response_body from idempotency_keys where idempotency_key = '${idempotencyKey}'`);
    assert.equal(rows.length, 1);
    assert.ok(!rows[0].response_body.includes(created.body.credential.clientSecret));
    assert.ok(!rows[0].response_body.includes(created.body.clientId));
  });

  it('different body gets 422', async () => {
    const idempotencyKey = key();
    const first = await postWithKey('/service-accounts', { name: name() }, idempotencyKey);
    const second = await postWithKey('/service-accounts', { name: name() }, idempotencyKey);

    assert.equal(first.status, 201, first.text);
    assertProblem(second, 422, 'idempotency_key_reused');
  });

  it('same key on another path gets 422', async () => {
    const idempotencyKey = key();
    const account = await postWithKey('/service-accounts', { name: name() }, idempotencyKey);
    const credential = await postWithKey(`/service-accounts/${account.body.id}/credentials`, {}, idempotencyKey);

    assertProblem(credential, 422, 'idempotency_key_reused');
  });

  it('keys belong to one admin', async () => {
    const idempotencyKey = key();
    const created = await server.admin.post('/admins', { username: `idem-admin-${counter}`, password: 'another-admin-password-1', role: 'admin' });
    assert.equal(created.status, 201, created.text);
    const { AdminClient } = await import('./support/server.js');
    const other = new AdminClient(server.baseUrl);
    assert.equal((await other.signIn(`idem-admin-${counter}`, 'another-admin-password-1')).status, 200);

    const body = { name: name() };
    const mine = await postWithKey('/service-accounts', body, idempotencyKey);
    const theirs = await other.request('POST', '/service-accounts', { ...body, name: name() }, { 'idempotency-key': idempotencyKey });

    assert.equal(mine.status, 201, mine.text);
    assert.equal(theirs.status, 201, theirs.text);
    assert.equal(theirs.headers.get('idempotency-replayed'), null);
  });

  it('concurrent requests create one account', async () => {
    const idempotencyKey = key();
    const body = { name: name(), access: [{ instance: 'jira', scopes: ['READ'] }] };

    const results = await Promise.all(Array.from({ length: 5 }, () => postWithKey('/service-accounts', body, idempotencyKey)));

    const statuses = results.map((result) => result.status);
    assert.ok(statuses.includes(201), statuses.join(','));
    for (const result of results) {
      if (result.status === 409) assertProblem(result, 409, 'idempotency_key_in_use');
      else assert.equal(result.status, 201, result.text);
    }
    const ids = new Set(results.filter((result) => result.status === 201).map((result) => result.body.id));
    assert.equal(ids.size, 1);
    assert.equal(await countAccountsNamed(body.name), 1);
  });

  it('failed request frees the key', async () => {
    const idempotencyKey = key();
    const bad = await postWithKey('/service-accounts', { name: name(), access: [{ instance: 'jira', scopes: ['NOPE'] }] }, idempotencyKey);
    const good = await postWithKey('/service-accounts', { name: name() }, idempotencyKey);

    assertProblem(bad, 400, 'unknown_scope', 'access[0].scopes[0]');
    assert.equal(good.status, 201, good.text);
    assert.equal(good.headers.get('idempotency-replayed'), null);
  });

  it('malformed keys get 400', async () => {
    for (const value of ['', '""', 'x'.repeat(256), 'two words', '"unterminated', 'a, b']) {
      const result = await postWithKey('/service-accounts', { name: name() }, value);
      assertProblem(result, 400, 'idempotency_key_invalid');
    }
  });

  it('accepts a structured-field string', async () => {
    const idempotencyKey = key();
    const body = { slug: 'idem-sf', name: 'Idem', profile: 'jira', audience: 'https://idem-sf.example.com' };
    const first = await postWithKey('/instances', body, `"${idempotencyKey}"`);
    const second = await postWithKey('/instances', body, idempotencyKey);

    assert.equal(first.status, 201, first.text);
    assert.equal(second.status, 201, second.text);
    assert.equal(second.headers.get('idempotency-replayed'), 'true');
    assert.deepEqual(second.body, first.body);
  });

  it('credential creation and rotation replay', async () => {
    const account = await createAccount(server, { name: name() });
    const createKey = key();
    const created = await postWithKey(`/service-accounts/${account.id}/credentials`, { expiresInDays: 30 }, createKey);
    const createdAgain = await postWithKey(`/service-accounts/${account.id}/credentials`, { expiresInDays: 30 }, createKey);

    assert.equal(created.status, 201, created.text);
    assert.equal(createdAgain.headers.get('idempotency-replayed'), 'true');
    assert.equal(createdAgain.body.clientSecret, created.body.clientSecret);

    const rotateKey = key();
    const path = `/service-accounts/${account.id}/credentials/${account.credentialId}/rotate`;
    const rotated = await postWithKey(path, { gracePeriodSeconds: 60 }, rotateKey);
    const rotatedAgain = await postWithKey(path, { gracePeriodSeconds: 60 }, rotateKey);

    assert.equal(rotated.status, 201, rotated.text);
    assert.equal(rotatedAgain.status, 201, rotatedAgain.text);
    assert.equal(rotatedAgain.headers.get('idempotency-replayed'), 'true');
    assert.equal(rotatedAgain.body.id, rotated.body.id);
    const list = await server.admin.get(`/service-accounts/${account.id}/credentials`);
    assert.equal(list.body.items.length, 3);
  });

  it('stale in-flight key is taken over', async () => {
    const account = await createAccount(server, { name: name() });
    const idempotencyKey = key();
    const path = `/service-accounts/${account.id}/credentials`;
    assert.equal((await postWithKey(path, {}, idempotencyKey)).status, 201);

    // Make the stored key look like the request of a node that died before it finished.
    const db = server.tessera.context.db;
    await db.updateTable('idempotency_keys').set({ response_status: null, response_body: null, lock_id: 'dead-request', locked_at: server.clock.now() }).where('idempotency_key', '=', idempotencyKey).execute();

    assertProblem(await postWithKey(path, {}, idempotencyKey), 409, 'idempotency_key_in_use');

    server.clock.advance(61_000);
    const retried = await postWithKey(path, {}, idempotencyKey);
    assert.equal(retried.status, 201, retried.text);
    assert.equal(retried.headers.get('idempotency-replayed'), null);

    // The dead request can no longer store its response, so its change would roll back.
    const owner = (await db.selectFrom('idempotency_keys').select('owner').where('idempotency_key', '=', idempotencyKey).executeTakeFirstOrThrow()).owner;
    assert.equal(await storeIdempotentResponse(db, owner, idempotencyKey, 'dead-request', 201, 'x'), false);
    const replay = await postWithKey(path, {}, idempotencyKey);
    assert.equal(replay.headers.get('idempotency-replayed'), 'true');
    assert.equal(replay.body.id, retried.body.id);
  });

  it('keys expire after 24 hours', async () => {
    const idempotencyKey = key();
    const first = await postWithKey('/service-accounts', { name: name() }, idempotencyKey);
    assert.equal(first.status, 201, first.text);

    // Sessions last 12 hours, so the admin signs in again after each jump.
    server.clock.advance(24 * HOUR_MS - 1000);
    await server.admin.signIn();
    const stillStored = await postWithKey('/service-accounts', { name: name() }, idempotencyKey);
    assertProblem(stillStored, 422, 'idempotency_key_reused');

    server.clock.advance(2000);
    await server.admin.signIn();
    const afterExpiry = await postWithKey('/service-accounts', { name: name() }, idempotencyKey);
    assert.equal(afterExpiry.status, 201, afterExpiry.text);
    assert.equal(afterExpiry.headers.get('idempotency-replayed'), null);
  });

  it('pruning removes expired keys', async () => {
    const idempotencyKey = key();
    assert.equal((await postWithKey('/service-accounts', { name: name() }, idempotencyKey)).status, 201);
    const db = server.tessera.context.db;

    const select = `select 1 from idempotency_keys where idempotency_key = '${idempotencyKey}'`;

    // Keys of earlier tests are past their lifetime by now, since the clock moved a day.
    await pruneIdempotencyKeys(db, server.clock.now());
    assert.equal((await queryDatabase(server, select)).length, 1);

    const pruned = await pruneIdempotencyKeys(db, server.clock.now() + 24 * HOUR_MS);
    assert.ok(pruned >= 1, `pruned ${pruned}`);
    assert.equal((await queryDatabase(server, select)).length, 0);
  });

  it('lists the header in the OpenAPI document', async () => {
    const document = await (await fetch(`${server.baseUrl}/api/v1/openapi.json`)).json();
    const parameters = document.paths['/api/v1/service-accounts'].post.parameters as Array<{ name: string; in: string }>;

    assert.ok(parameters.some((parameter) => parameter.name === 'idempotency-key' && parameter.in === 'header'));
  });
});
