import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { type CreatedAccount, type TestServer, createAccount, ensureInstance, requestToken, startTestServer } from './support/server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Collects the JSON log lines that the server writes. */
class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) this.lines.push(JSON.parse(line));
    done();
  }

  withRequestId(id: string): Record<string, unknown>[] {
    return this.lines.filter((line) => line.reqId === id);
  }
}

describe('request ids', () => {
  const logs = new LogCapture();
  let server: TestServer;
  let account: CreatedAccount;

  before(async () => {
    server = await startTestServer({ logger: pino({ level: 'info' }, logs) });
    await ensureInstance(server, 'jira');
    account = await createAccount(server, { name: 'traced', access: [{ instance: 'jira', scopes: ['READ'] }] });
  });

  after(() => server.close());

  beforeEach(() => {
    logs.lines.length = 0;
  });

  it('generates an id when the request has none', async () => {
    const response = await requestToken(server, account);

    assert.equal(response.status, 200);
    assert.match(response.headers.get('x-request-id') ?? '', UUID);
  });

  it('gives each request its own id', async () => {
    const first = await server.admin.get('/service-accounts');
    const second = await server.admin.get('/service-accounts');

    assert.notEqual(first.headers.get('x-request-id'), second.headers.get('x-request-id'));
  });

  it('echoes a sane incoming id', async () => {
    const id = 'lb-7f3a.9_c-01';

    const response = await server.admin.request('GET', '/service-accounts', undefined, { 'x-request-id': id });

    assert.equal(response.headers.get('x-request-id'), id);
  });

  it('replaces an incoming id that is not a plain token', async () => {
    for (const id of ['has space', 'a'.repeat(129), 'semi;colon', '%C3%BCmlaut', '']) {
      const response = await fetch(`${server.baseUrl}/healthz`, { headers: { 'x-request-id': id } });

      assert.match(response.headers.get('x-request-id') ?? '', UUID, `incoming id "${id}"`);
    }
  });

  it('accepts an id of 128 characters', async () => {
    const longest = 'b'.repeat(128);

    const response = await fetch(`${server.baseUrl}/healthz`, { headers: { 'x-request-id': longest } });

    assert.equal(response.headers.get('x-request-id'), longest);
  });

  it('logs nothing per request at info', async () => {
    const token = await requestToken(server, account);
    const list = await server.admin.get('/service-accounts');

    assert.equal(token.status, 200);
    assert.equal(list.status, 200);
    assert.deepEqual(logs.withRequestId(token.headers.get('x-request-id') ?? ''), []);
    assert.deepEqual(logs.withRequestId(list.headers.get('x-request-id') ?? ''), []);
  });

  it('puts the id in the log line of a failing request', async () => {
    const policies = server.tessera.context.policies;
    const current = policies.current;
    policies.current = async () => {
      throw new Error('policy read failed in a test');
    };
    let response;
    try {
      response = await requestToken(server, account, {});
    } finally {
      policies.current = current;
    }

    const id = response.headers.get('x-request-id') ?? '';
    const lines = logs.withRequestId(id);
    assert.equal(response.status, 500);
    assert.match(id, UUID);
    assert.equal(lines.length, 1, JSON.stringify(logs.lines));
    assert.equal(lines[0].msg, 'OAuth request failed');
    assert.equal(lines[0].level, 50);
    assert.equal((lines[0].err as { message: string }).message, 'policy read failed in a test');
  });

  it('puts the id in the log line of a lost refusal event', async () => {
    const audit = server.tessera.context.audit;
    const write = audit.write;
    audit.write = () => Promise.reject(new Error('audit store unavailable in a test'));
    let response;
    try {
      response = await requestToken(server, { clientId: account.clientId, clientSecret: `${account.clientSecret}x` }, {});
    } finally {
      audit.write = write;
    }

    const lines = logs.withRequestId(response.headers.get('x-request-id') ?? '');
    assert.equal(response.status, 401);
    assert.equal(lines.length, 1, JSON.stringify(logs.lines));
    assert.equal(lines[0].msg, 'writing the audit event of a rejected token request failed');
    assert.ok(!JSON.stringify(lines[0]).includes(account.clientSecret), 'the log line contains the secret');
  });
});
