import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import { after, before, describe, it } from 'node:test';
import { assertProblem } from './support/problem.js';
import { SyslogReceiver, WebhookReceiver, selfSignedCertificate, waitFor } from './support/sink-receivers.js';
import { AdminClient, type CreatedAccount, TEST_DIALECT, type TestServer, createAccount, ensureInstance, queryDatabase, requestToken, startTestServer } from './support/server.js';

const FAST_POLL = { auditSinkPollMs: 50 };

async function headSeq(server: TestServer): Promise<number> {
  const result = await server.admin.get('/audit-events?limit=1');
  return Number(result.body.items[0].id);
}

async function tokens(server: TestServer, account: CreatedAccount, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) assert.equal((await requestToken(server, account)).status, 200);
}

function contiguous(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

describe('audit sinks across a restart', () => {
  const webhook = new WebhookReceiver();
  const syslog = new SyslogReceiver();
  let server: TestServer;

  before(async () => {
    await webhook.start();
    await syslog.start();
  });

  after(async () => {
    await server?.close();
    await webhook.stop();
    await syslog.stop();
  });

  it('delivers every event once and in order', async () => {
    server = await startTestServer({ config: FAST_POLL });
    const hook = await server.admin.post('/audit-sinks', { name: 'siem-webhook', type: 'webhook', target: webhook.url, startFrom: 'beginning' });
    const logs = await server.admin.post('/audit-sinks', { name: 'siem-syslog', type: 'syslog', target: `127.0.0.1:${syslog.port}`, startFrom: 'beginning' });
    assert.equal(hook.status, 201, hook.text);
    assert.equal(logs.status, 201, logs.text);
    await ensureInstance(server, 'jira');
    const account = await createAccount(server, { name: 'streamed', access: [{ instance: 'jira', scopes: ['READ'] }] });
    await tokens(server, account, 5);
    const firstHead = await headSeq(server);
    await waitFor('both sinks to reach the head', () => webhook.seqs().at(-1) === firstHead && syslog.seqs().at(-1) === firstHead);

    // Both receivers go down while events keep coming, and the server stops with them undelivered.
    webhook.status = 503;
    await syslog.stop();
    await tokens(server, account, 5);
    await waitFor('a failed attempt on each sink', async () => {
      const sinks = (await server.admin.get('/audit-sinks')).body.items;
      return sinks.every((sink: any) => sink.lastError !== null);
    });
    await server.stop();

    webhook.status = 200;
    await syslog.start();
    server = await startTestServer({ directory: server.directory, config: FAST_POLL });
    // The backoff deadlines were set by the first server's clock; move past the longest.
    server.clock.advance(60_000);
    await tokens(server, account, 5);
    const finalHead = await headSeq(server);
    await waitFor('both sinks to catch up after the restart', () => webhook.seqs().at(-1) === finalHead && syslog.seqs().at(-1) === finalHead);
    // A receiver gets the last event before the dispatcher stores the cursor, so wait for the cursors too.
    await waitFor('both cursors to reach the head', async () => (await server.admin.get('/audit-sinks')).body.items.every((sink: any) => sink.cursor === finalHead));

    assert.deepEqual(webhook.seqs(), contiguous(1, finalHead));
    assert.deepEqual(syslog.seqs(), contiguous(1, finalHead));
    const sinks = (await server.admin.get('/audit-sinks')).body.items;
    for (const sink of sinks) {
      assert.equal(sink.cursor, finalHead);
      assert.equal(sink.lag, 0);
      assert.equal(sink.lastError, null);
      assert.equal(sink.oldestUndeliveredAt, null);
    }
  });

  it('writes RFC 5424 syslog messages', () => {
    const message = syslog.messages.find((entry) => entry.event.action === 'token.issued')!;

    // Facility audit (13) × 8 + severity informational (6).
    assert.equal(message.priority, 110);
    assert.equal(message.appName, 'tessera');
    assert.equal(message.msgId, 'token.issued');
    assert.equal(message.structuredData, `[tessera@32473 seq="${message.event.seq}" hash="${message.event.hash}" prevHash="${message.event.prevHash}" outcome="success"]`);
    assert.equal(message.event.actor.type, 'service_account');
    assert.match(message.event.occurredAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('links each delivered event to the one before', () => {
    const events = webhook.accepted.flatMap((request) => request.json.events);

    for (let index = 1; index < events.length; index += 1) assert.equal(events[index].prevHash, events[index - 1].hash);
  });
});

describe('audit sink shutdown', () => {
  const webhook = new WebhookReceiver();
  let server: TestServer;

  before(() => webhook.start());

  after(async () => {
    await server.close();
    await webhook.stop();
  });

  it('abandons a hung batch and resends it', async () => {
    webhook.hang = true;
    server = await startTestServer({ config: FAST_POLL });
    await server.admin.post('/audit-sinks', { name: 'hung', type: 'webhook', target: webhook.url, startFrom: 'beginning' });
    await waitFor('a request to the hung receiver', () => webhook.hung > 0);

    const started = Date.now();
    await server.stop();
    const stopMs = Date.now() - started;
    const [sink] = await queryDatabase<{ cursor_seq: number; lease_owner: string | null }>(server, 'SELECT cursor_seq, lease_owner FROM audit_sinks');

    // The server waits 2 s for the batch in flight, then abandons it.
    assert.ok(stopMs < 5000, `stopping took ${stopMs} ms`);
    assert.equal(Number(sink.cursor_seq), 0);
    assert.equal(sink.lease_owner, null);

    webhook.hang = false;
    server = await startTestServer({ directory: server.directory, config: FAST_POLL });
    const head = await headSeq(server);
    await waitFor('the resent batch', () => webhook.seqs().at(-1) === head);

    assert.deepEqual(webhook.seqs(), contiguous(1, head));
  });
});

describe('audit sink retries', () => {
  const webhook = new WebhookReceiver();
  let server: TestServer;
  let account: CreatedAccount;

  before(async () => {
    await webhook.start();
    server = await startTestServer({ config: FAST_POLL });
    await ensureInstance(server, 'jira');
    account = await createAccount(server, { name: 'retried', access: [{ instance: 'jira', scopes: ['READ'] }] });
  });

  after(async () => {
    await server.close();
    await webhook.stop();
  });

  it('backs off on HTTP 500 and catches up', async () => {
    webhook.status = 500;
    const created = await server.admin.post('/audit-sinks', { name: 'flaky', type: 'webhook', target: webhook.url });
    await tokens(server, account, 3);

    await waitFor('the first failed attempt', async () => (await server.admin.get(`/audit-sinks/${created.body.id}`)).body.failures === 1);
    const failing = (await server.admin.get(`/audit-sinks/${created.body.id}`)).body;
    assert.equal(failing.lastError, `POST to ${webhook.url} returned HTTP 500; only a 2xx status counts as delivered`);
    assert.equal(failing.lag, 4);
    assert.equal(failing.cursor, created.body.cursor);
    assert.equal(failing.lastAttemptAt, new Date(server.clock.now()).toISOString());
    assert.equal(failing.nextAttemptAt, new Date(server.clock.now() + 1000).toISOString());
    assert.equal(failing.lastDeliveredAt, null);

    server.clock.advance(1000);
    await waitFor('the second failed attempt', async () => (await server.admin.get(`/audit-sinks/${created.body.id}`)).body.failures === 2);
    const second = (await server.admin.get(`/audit-sinks/${created.body.id}`)).body;
    assert.equal(second.nextAttemptAt, new Date(server.clock.now() + 2000).toISOString());
    assert.equal(second.oldestUndeliveredAgeSeconds, 1);
    assert.equal(webhook.accepted.length, 0);

    // The receiver recovers before the clock reaches the next attempt, so that attempt succeeds.
    webhook.status = 200;
    server.clock.advance(2000);
    const head = await headSeq(server);
    await waitFor('the sink to catch up', () => webhook.seqs().at(-1) === head);
    const caughtUp = (await server.admin.get(`/audit-sinks/${created.body.id}`)).body;
    assert.equal(caughtUp.lag, 0);
    assert.equal(caughtUp.failures, 0);
    assert.equal(caughtUp.lastError, null);
    assert.equal(caughtUp.lastDeliveredAt, new Date(server.clock.now()).toISOString());
    assert.deepEqual(webhook.seqs(), contiguous(created.body.cursor + 1, head));
  });

  it('reports a closed syslog port', async () => {
    const closed = new SyslogReceiver();
    await closed.start();
    const port = closed.port;
    await closed.stop();

    const created = await server.admin.post('/audit-sinks', { name: 'closed-port', type: 'syslog', target: `127.0.0.1:${port}`, startFrom: 'beginning' });
    await waitFor('a failed attempt', async () => (await server.admin.get(`/audit-sinks/${created.body.id}`)).body.failures >= 1);
    const sink = (await server.admin.get(`/audit-sinks/${created.body.id}`)).body;

    assert.equal(sink.lastError, `connecting to 127.0.0.1:${port} failed: ECONNREFUSED`);
    assert.equal(sink.cursor, 0);
    assert.equal(sink.lag, sink.headSeq);
    assert.equal(sink.oldestUndeliveredAt, new Date((await server.admin.get('/audit-events/1')).body.occurredAt).toISOString());
    assert.equal((await server.admin.delete(`/audit-sinks/${created.body.id}`)).status, 204);
  });

  it('delivers to a stopped sink only after it is enabled', async () => {
    const quiet = new WebhookReceiver();
    await quiet.start();
    const created = await server.admin.post('/audit-sinks', { name: 'paused', type: 'webhook', target: quiet.url, enabled: false });
    await tokens(server, account, 2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(quiet.accepted.length, 0);

    const enabled = await server.admin.patch(`/audit-sinks/${created.body.id}`, { enabled: true });
    const head = await headSeq(server);
    await waitFor('the enabled sink to catch up', () => quiet.seqs().at(-1) === head);

    assert.equal(enabled.status, 200);
    assert.equal(enabled.body.enabled, true);
    assert.deepEqual(quiet.seqs(), contiguous(created.body.cursor + 1, head));
    await quiet.stop();
  });
});

describe('webhook sink signature', () => {
  const webhook = new WebhookReceiver();
  let server: TestServer;
  let created: any;

  before(async () => {
    await webhook.start();
    server = await startTestServer({ config: FAST_POLL });
    created = (await server.admin.post('/audit-sinks', { name: 'signed', type: 'webhook', target: `${webhook.url}?api-key=hidden-value`, startFrom: 'beginning' })).body;
    await waitFor('a delivery', () => webhook.accepted.length > 0);
  });

  after(async () => {
    await server.close();
    await webhook.stop();
  });

  it('signs timestamp and body with the secret', () => {
    const request = webhook.accepted[0];
    const header = String(request.headers['tessera-signature']);
    const unix = Math.floor(server.clock.now() / 1000);
    const expected = createHmac('sha256', created.secret).update(`${unix}.${request.body}`).digest('hex');

    assert.equal(header, `t=${unix},v1=${expected}`);
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['tessera-sink-id'], created.id);
    assert.deepEqual(request.json.sink, { id: created.id, name: 'signed' });
    assert.equal(request.json.events[0].seq, 1);
  });

  it('shows the secret only on creation', async () => {
    const view = await server.admin.get(`/audit-sinks/${created.id}`);
    const rows = JSON.stringify(await queryDatabase(server, 'SELECT * FROM audit_events'));
    const sinkRows = JSON.stringify(await queryDatabase(server, 'SELECT * FROM audit_sinks'));

    assert.match(created.secret, /^tsk_[A-Za-z0-9_-]{43}$/);
    assert.equal(view.body.secret, undefined);
    assert.ok(!view.text.includes(created.secret));
    assert.ok(!rows.includes(created.secret));
    assert.ok(!sinkRows.includes(created.secret));
  });

  it('hides query values of the target', async () => {
    const view = await server.admin.get(`/audit-sinks/${created.id}`);
    const [event] = (await server.admin.get('/audit-events?action=audit_sink.created')).body.items;

    assert.equal(view.body.target, `${webhook.url}?api-key=redacted`);
    assert.equal(event.details.after.target, `${webhook.url}?api-key=redacted`);
    assert.ok(!JSON.stringify(event).includes('hidden-value'));
  });
});

describe('syslog sink over TLS', () => {
  const certificate = selfSignedCertificate();
  const receiver = new SyslogReceiver(certificate);
  let server: TestServer;

  before(async () => {
    await receiver.start();
    server = await startTestServer({ config: FAST_POLL });
  });

  after(async () => {
    await server.close();
    await receiver.stop();
  });

  it('delivers with the configured CA', async () => {
    const created = await server.admin.post('/audit-sinks', { name: 'tls', type: 'syslog', target: `127.0.0.1:${receiver.port}`, tls: true, caCertificate: certificate.cert, facility: 'local4', appName: 'tessera-prod', startFrom: 1 });
    const head = await headSeq(server);
    await waitFor('the TLS delivery', () => receiver.seqs().at(-1) === head);

    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.tls, true);
    assert.equal(created.body.target, `127.0.0.1:${receiver.port}`);
    assert.deepEqual(receiver.seqs(), contiguous(1, head));
    assert.equal(receiver.messages[0].priority, 20 * 8 + 6);
    assert.equal(receiver.messages[0].appName, 'tessera-prod');
  });

  it('rejects a certificate from another CA', async () => {
    const other = selfSignedCertificate();
    const created = await server.admin.post('/audit-sinks', { name: 'tls-wrong-ca', type: 'syslog', target: `127.0.0.1:${receiver.port}`, tls: true, caCertificate: other.cert });
    await waitFor('a failed TLS attempt', async () => (await server.admin.get(`/audit-sinks/${created.body.id}`)).body.failures >= 1);
    const sink = (await server.admin.get(`/audit-sinks/${created.body.id}`)).body;

    assert.match(sink.lastError, new RegExp(`^connecting with TLS to 127\\.0\\.0\\.1:${receiver.port} failed: `));
    assert.match(sink.lastError, /certificate/i);
  });
});

describe('audit sink API input', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });

  after(() => server.close());

  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['host without port', { type: 'syslog', target: 'siem.example.com' }, 'target'],
    ['port out of range', { type: 'syslog', target: '127.0.0.1:70000' }, 'target'],
    ['bad host name', { type: 'syslog', target: 'bad_host!:514' }, 'target'],
    ['non-http URL', { type: 'webhook', target: 'ftp://127.0.0.1/hook' }, 'target'],
    ['relative URL', { type: 'webhook', target: '/hook' }, 'target'],
    ['URL with password', { type: 'webhook', target: 'https://user:pw@siem.example.com/hook' }, 'target'],
    ['URL with fragment', { type: 'webhook', target: 'https://siem.example.com/hook#events' }, 'target'],
    ['bad IPv6 address', { type: 'syslog', target: '[2001:db8::zz]:514' }, 'target'],
    ['CA that is not PEM', { type: 'syslog', target: '127.0.0.1:6514', tls: true, caCertificate: 'not a certificate' }, 'caCertificate'],
    ['broken PEM block', { type: 'syslog', target: '127.0.0.1:6514', tls: true, caCertificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' }, 'caCertificate'],
    ['CA without TLS', { type: 'syslog', target: '127.0.0.1:6514', caCertificate: selfSignedCertificate().cert }, 'caCertificate'],
    ['syslog field on webhook', { type: 'webhook', target: 'https://siem.example.com/hook', facility: 'local0' }, 'facility'],
    ['unknown facility', { type: 'syslog', target: '127.0.0.1:514', facility: 'printer' }, 'facility'],
    ['app name with space', { type: 'syslog', target: '127.0.0.1:514', appName: 'tessera prod' }, 'appName'],
    ['unknown type', { type: 'kafka', target: '127.0.0.1:9092' }, 'type'],
    ['startFrom word', { type: 'syslog', target: '127.0.0.1:514', startFrom: 'yesterday' }, 'startFrom'],
    ['startFrom beyond head', { type: 'syslog', target: '127.0.0.1:514', startFrom: 1_000_000 }, 'startFrom'],
    ['unknown field', { type: 'syslog', target: '127.0.0.1:514', port: 514 }, 'port'],
  ];

  for (const [label, body, field] of cases) {
    it(`rejects ${label}`, async () => {
      const result = await server.admin.post('/audit-sinks', { name: `sink-${label}`, ...body });

      assertProblem(result, 400, 'validation_failed', field);
    });
  }

  it('writes nothing for rejected input', async () => {
    const rows = await queryDatabase(server, 'SELECT id FROM audit_sinks');

    assert.deepEqual(rows, []);
  });

  it('rejects a taken name', async () => {
    const first = await server.admin.post('/audit-sinks', { name: 'twice', type: 'syslog', target: '127.0.0.1:514', enabled: false });
    const second = await server.admin.post('/audit-sinks', { name: 'twice', type: 'webhook', target: 'https://siem.example.com/hook', enabled: false });

    assert.equal(first.status, 201);
    assertProblem(second, 409, 'audit_sink_name_taken', 'name');
  });

  it('rejects syslog fields in a webhook update', async () => {
    const created = await server.admin.post('/audit-sinks', { name: 'hook-update', type: 'webhook', target: 'https://siem.example.com/hook', enabled: false });
    const result = await server.admin.patch(`/audit-sinks/${created.body.id}`, { tls: true });

    assertProblem(result, 400, 'validation_failed', 'tls');
  });

  it('rejects an empty update', async () => {
    const created = await server.admin.post('/audit-sinks', { name: 'empty-update', type: 'syslog', target: '127.0.0.1:514', enabled: false });
    const result = await server.admin.patch(`/audit-sinks/${created.body.id}`, {});

    assert.equal(result.status, 400);
    assert.equal(result.body.code, 'validation_failed');
  });

  it('lets auditors read but not change', async () => {
    const passwordHash = await hash('auditor-password-1');
    await queryDatabase(server, `INSERT INTO admins (id, username, password_hash, role, created_at) VALUES ('auditor-1', 'auditor', '${passwordHash}', 'auditor', 0)`);
    const auditor = new AdminClient(server.baseUrl);
    assert.equal((await auditor.signIn('auditor', 'auditor-password-1')).status, 200);

    const list = await auditor.get('/audit-sinks');
    const created = await auditor.post('/audit-sinks', { name: 'by-auditor', type: 'syslog', target: '127.0.0.1:514' });
    const retention = await auditor.put('/audit-retention', { days: 30 });

    assert.equal(list.status, 200);
    assertProblem(created, 403, 'forbidden');
    assertProblem(retention, 403, 'forbidden');
  });

  it('answers an unknown sink with 404', async () => {
    const result = await server.admin.get('/audit-sinks/no-such-sink');

    assertProblem(result, 404, 'not_found');
  });

  it('starts a new sink at the head', async () => {
    const head = await headSeq(server);
    const created = await server.admin.post('/audit-sinks', { name: 'from-now', type: 'syslog', target: '[::1]:6514', enabled: false });

    assert.equal(created.body.cursor, head);
    assert.equal(created.body.target, '[::1]:6514');
    assert.equal(created.body.facility, 'audit');
    assert.equal(created.body.appName, 'tessera');
    assert.equal(created.body.secret, undefined);
  });

  it('audits changes with before and after', async () => {
    const created = await server.admin.post('/audit-sinks', { name: 'audited', type: 'syslog', target: '127.0.0.1:514', enabled: false });
    await server.admin.patch(`/audit-sinks/${created.body.id}`, { target: '127.0.0.2:1514', name: 'audited-2' });
    await server.admin.delete(`/audit-sinks/${created.body.id}`);

    const events = (await server.admin.get(`/audit-events?target=${created.body.id}`)).body.items;
    assert.deepEqual(events.map((event: any) => event.action), ['audit_sink.deleted', 'audit_sink.updated', 'audit_sink.created']);
    assert.equal(events[1].details.before.target, '127.0.0.1:514');
    assert.equal(events[1].details.after.target, '127.0.0.2:1514');
    assert.equal(events[1].details.after.name, 'audited-2');
    assert.equal(events[1].actor.type, 'admin');
  });
});

describe('audit sinks on two nodes', { skip: TEST_DIALECT !== 'postgres' && 'several nodes need PostgreSQL' }, () => {
  const webhook = new WebhookReceiver();
  let first: TestServer;
  let second: TestServer;

  before(async () => {
    await webhook.start();
    first = await startTestServer({ config: FAST_POLL });
    second = await startTestServer({ directory: first.directory, config: FAST_POLL });
  });

  after(async () => {
    await second.stop();
    await first.close();
    await webhook.stop();
  });

  it('delivers each event once', async () => {
    await first.admin.post('/audit-sinks', { name: 'shared', type: 'webhook', target: webhook.url, startFrom: 'beginning' });
    await ensureInstance(first, 'jira');
    const account = await createAccount(first, { name: 'two-nodes', access: [{ instance: 'jira', scopes: ['READ'] }] });
    for (let round = 0; round < 10; round += 1) {
      await tokens(first, account, 1);
      await tokens(second, account, 1);
    }
    const head = await headSeq(first);
    await waitFor('the sink to reach the head', () => webhook.seqs().at(-1) === head);
    const owners = await queryDatabase<{ lease_owner: string }>(first, 'SELECT lease_owner FROM audit_sinks');

    assert.deepEqual(webhook.seqs(), contiguous(1, head));
    assert.ok([first.tessera.context.auditSinks.owner, second.tessera.context.auditSinks.owner].includes(owners[0].lease_owner));
  });
});
