import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CheckpointSigner } from '../src/audit/checkpoint-signing.js';
import { pruneAuditLog } from '../src/audit/retention.js';
import { verifyAuditChain } from '../src/audit/verify.js';
import { assertProblem } from './support/problem.js';
import { WebhookReceiver } from './support/sink-receivers.js';
import { type CreatedAccount, type TestServer, createAccount, ensureInstance, queryDatabase, requestToken, startTestServer } from './support/server.js';

const CLI = fileURLToPath(new URL('../bin/tessera.js', import.meta.url));
const DAY_MS = 24 * 60 * 60 * 1000;

function verifyWithCli(server: TestServer, ...flags: string[]) {
  return spawnSync(process.execPath, [CLI, 'audit', 'verify', '--database-url', server.databaseUrl, ...flags], {
    encoding: 'utf8',
    env: { ...process.env, TESSERA_DATABASE_URL: '', TESSERA_DATA_DIR: server.directory },
  });
}

function verifyChain(server: TestServer, expectHead?: { seq: number; hash: string }) {
  const { db, keyMaterial } = server.tessera.context;
  return verifyAuditChain(db, keyMaterial.auditChainKey, { checkpointKey: new CheckpointSigner(keyMaterial.auditCheckpointSeed).publicKey.key, expectHead });
}

async function tokens(server: TestServer, account: CreatedAccount, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) assert.equal((await requestToken(server, account)).status, 200);
}

describe('audit retention setting', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });

  after(() => server.close());

  it('keeps events forever by default', async () => {
    const result = await server.admin.get('/audit-retention');

    assert.equal(result.status, 200);
    assert.deepEqual(result.body, { days: null, updatedAt: null, updatedBy: null });
  });

  it('stores and audits a new retention', async () => {
    const result = await server.admin.put('/audit-retention', { days: 400 });
    const [event] = (await server.admin.get('/audit-events?action=audit.retention_updated')).body.items;

    assert.equal(result.status, 200);
    assert.equal(result.body.days, 400);
    assert.equal(result.body.updatedAt, new Date(server.clock.now()).toISOString());
    assert.deepEqual((await server.admin.get('/audit-retention')).body, result.body);
    assert.deepEqual(event.details, { before: { days: null }, after: { days: 400 } });
  });

  for (const [label, body, field] of [
    ['zero days', { days: 0 }, 'days'],
    ['fractional days', { days: 1.5 }, 'days'],
    ['days as text', { days: '30' }, 'days'],
    ['missing days', {}, 'days'],
    ['unknown field', { days: 30, hours: 2 }, 'hours'],
  ] as const) {
    it(`rejects ${label}`, async () => {
      assertProblem(await server.admin.put('/audit-retention', body), 400, 'validation_failed', field);
    });
  }
});

describe('audit pruning and checkpoints', () => {
  let server: TestServer;
  let account: CreatedAccount;
  /** The events written before the clock jumped 40 days, which the first pruning removes. */
  let oldCount = 0;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
    account = await createAccount(server, { name: 'pruned', access: [{ instance: 'jira', scopes: ['READ'] }] });
    await tokens(server, account, 10);
    server.clock.advance(40 * DAY_MS);
    // The admin session lasts 12 hours of the clock.
    await server.admin.signIn();
    await tokens(server, account, 3);
  });

  after(() => server.close());

  it('prunes nothing without a retention', async () => {
    const result = await pruneAuditLog(server.tessera.context);

    assert.equal(result.checkpoint, null);
    assert.equal((await queryDatabase(server, 'SELECT seq FROM audit_events WHERE seq = 1')).length, 1);
  });

  it('prunes old events behind a checkpoint', async () => {
    const old = await queryDatabase<{ seq: number; hash: string }>(server, `SELECT seq, hash FROM audit_events WHERE occurred_at < ${server.clock.now() - 30 * DAY_MS} ORDER BY seq`);
    oldCount = old.length;
    await server.admin.put('/audit-retention', { days: 30 });

    const { checkpoint } = await pruneAuditLog(server.tessera.context);
    const remaining = await queryDatabase<{ seq: number; prev_hash: string }>(server, 'SELECT seq, prev_hash FROM audit_events ORDER BY seq');
    const [pruned] = (await server.admin.get('/audit-events?action=audit.pruned')).body.items;

    assert.ok(checkpoint);
    assert.equal(Number(checkpoint.seq), Number(old.at(-1)!.seq));
    assert.equal(checkpoint.hash, old.at(-1)!.hash);
    assert.equal(Number(checkpoint.first_seq), 1);
    assert.equal(checkpoint.pruned_count, old.length);
    assert.equal(Number(remaining[0].seq), Number(checkpoint.seq) + 1);
    assert.equal(remaining[0].prev_hash, checkpoint.hash);
    assert.equal(pruned.target.id, checkpoint.id);
    assert.deepEqual(pruned.details, {
      checkpointId: checkpoint.id,
      count: old.length,
      firstSeq: 1,
      lastSeq: Number(checkpoint.seq),
      retentionDays: 30,
      olderThan: new Date(server.clock.now() - 30 * DAY_MS).toISOString(),
      heldBackBySinks: false,
    });
  });

  it('verifies the chain from the checkpoint', async () => {
    const report = await verifyChain(server);
    const cli = verifyWithCli(server);

    assert.equal(report.ok, true, report.problem);
    assert.equal(report.checkpointsChecked, 1);
    assert.equal(report.startCheckpoint?.seq, oldCount);
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, new RegExp(`^Audit chain intact: \\d+ events verified from checkpoint \\S+ \\(events up to ${oldCount} were pruned\\), 1 checkpoint signatures valid\\.\nHead: \\d+:[0-9a-f]{64}\n$`));
  });

  it('publishes checkpoints a verifier can check', async () => {
    const result = await server.admin.get('/audit-checkpoints');
    const [checkpoint] = result.body.items;
    const publicKey = createPublicKey({ key: result.body.publicKey, format: 'jwk' });
    const payload = JSON.parse(checkpoint.signedPayload);

    assert.equal(result.status, 200);
    assert.equal(result.body.publicKey.kty, 'OKP');
    assert.equal(result.body.publicKey.crv, 'Ed25519');
    assert.equal(result.body.publicKey.d, undefined);
    assert.equal(result.body.publicKey.kid, checkpoint.kid);
    assert.ok(verify(null, Buffer.from(checkpoint.signedPayload), publicKey, Buffer.from(checkpoint.signature, 'base64url')));
    assert.deepEqual(payload, { type: 'tessera.audit.checkpoint.v1', id: checkpoint.id, firstSeq: 1, seq: oldCount, hash: checkpoint.hash, prunedCount: oldCount, createdAt: checkpoint.createdAt, kid: checkpoint.kid });
  });

  it('prunes again from where it stopped', async () => {
    server.clock.advance(31 * DAY_MS);
    await server.admin.signIn();
    await tokens(server, account, 2);

    const { checkpoint } = await pruneAuditLog(server.tessera.context);
    const report = await verifyChain(server);

    assert.equal(Number(checkpoint!.first_seq), oldCount + 1);
    assert.equal(report.ok, true, report.problem);
    assert.equal(report.checkpointsChecked, 2);
    assert.equal(report.startCheckpoint?.id, checkpoint!.id);
  });

  it('compares an expected head at the checkpoint', async () => {
    const [checkpoint] = (await server.admin.get('/audit-checkpoints')).body.items;

    const same = await verifyChain(server, { seq: checkpoint.seq, hash: checkpoint.hash });
    const other = await verifyChain(server, { seq: checkpoint.seq, hash: 'e'.repeat(64) });
    const pruned = await verifyChain(server, { seq: checkpoint.seq - 1, hash: 'e'.repeat(64) });

    assert.equal(same.ok, true, same.problem);
    assert.equal(same.expectHeadChecked, true);
    assert.equal(other.ok, false);
    assert.equal(other.problem, `checkpoint ${checkpoint.id} records the hash ${checkpoint.hash} for event ${checkpoint.seq}, not the expected head hash ${'e'.repeat(64)}`);
    assert.equal(pruned.ok, true, pruned.problem);
    assert.equal(pruned.expectHeadChecked, false);
  });

  it('rejects a malformed expected head', () => {
    const cli = verifyWithCli(server, '--expect-head', '12:not-a-hash');

    assert.equal(cli.status, 2);
    assert.match(cli.stderr, /--expect-head <seq:hash>' argument '12:not-a-hash' is invalid\. must be <seq>:<hash>/);
  });

  it('detects deleted newest events with an expected head', async () => {
    const before = await verifyChain(server);
    await tokens(server, account, 2);
    const head = (await verifyChain(server)).head!;
    await server.tessera.context.db.deleteFrom('audit_events').where('seq', '=', head.seq).execute();

    const withoutHead = await verifyChain(server);
    const withHead = await verifyChain(server, head);
    const cli = verifyWithCli(server, '--expect-head', `${head.seq}:${head.hash}`);

    assert.equal(before.ok, true);
    assert.equal(withoutHead.ok, true);
    assert.equal(withHead.ok, false);
    assert.equal(withHead.problem, `the log ends at event ${head.seq - 1}, before the expected head ${head.seq}, so newer events were deleted`);
    assert.equal(cli.status, 1);
    assert.match(cli.stderr, new RegExp(`^Audit chain broken at event ${head.seq}: the log ends at event ${head.seq - 1}`));
  });
});

describe('audit checkpoint tampering', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
    const account = await createAccount(server, { name: 'tampered', access: [{ instance: 'jira', scopes: ['READ'] }] });
    await tokens(server, account, 5);
    server.clock.advance(10 * DAY_MS);
    await server.admin.signIn();
    await server.admin.put('/audit-retention', { days: 5 });
    await pruneAuditLog(server.tessera.context);
    await server.stop();
  });

  after(() => server.close());

  it('reports a changed checkpoint', async () => {
    const [row] = await queryDatabase<{ id: string; seq: number }>(server, 'SELECT id, seq FROM audit_checkpoints');
    await queryDatabase(server, `UPDATE audit_checkpoints SET seq = ${Number(row.seq) - 1}`);

    const cli = verifyWithCli(server);

    assert.equal(cli.status, 1);
    assert.equal(cli.stderr, `Audit checkpoint broken: checkpoint ${row.id} (events 1 to ${Number(row.seq) - 1}) has an invalid signature, so it was changed or not written by this server.\n`);
    await queryDatabase(server, `UPDATE audit_checkpoints SET seq = ${row.seq}`);
  });

  it('reports a first event that does not link', async () => {
    const [row] = await queryDatabase<{ seq: number }>(server, 'SELECT seq FROM audit_checkpoints');
    const first = Number(row.seq) + 1;
    await queryDatabase(server, `UPDATE audit_events SET prev_hash = '${'0'.repeat(64)}' WHERE seq = ${first}`);

    const cli = verifyWithCli(server);

    assert.equal(cli.status, 1);
    assert.match(cli.stderr, new RegExp(`^Audit chain broken at event ${first}: event ${first} does not link to the hash in checkpoint `));
  });

  it('reports events deleted after the checkpoint', async () => {
    const [row] = await queryDatabase<{ seq: number }>(server, 'SELECT seq FROM audit_checkpoints');
    await queryDatabase(server, `DELETE FROM audit_events WHERE seq > ${row.seq}`);

    const cli = verifyWithCli(server);

    assert.equal(cli.status, 1);
    assert.match(cli.stderr, /no event follows checkpoint \S+, so the audit\.pruned event and every event after it were deleted/);
  });
});

describe('audit pruning in steps', () => {
  it('writes one checkpoint per step', async (t) => {
    const server = await startTestServer();
    t.after(() => server.close());
    await ensureInstance(server, 'jira');
    const account = await createAccount(server, { name: 'stepped', access: [{ instance: 'jira', scopes: ['READ'] }] });
    await tokens(server, account, 6);
    const [old] = await queryDatabase<{ count: number }>(server, 'SELECT count(*) AS count FROM audit_events');
    server.clock.advance(10 * DAY_MS);
    await server.admin.signIn();
    await server.admin.put('/audit-retention', { days: 5 });

    const result = await pruneAuditLog(server.tessera.context, { maxEventsPerCheckpoint: 4 });
    const oldCount = Number(old.count);

    assert.equal(result.checkpoints.length, Math.ceil(oldCount / 4));
    assert.deepEqual(result.checkpoints.map((checkpoint) => Number(checkpoint.first_seq)), result.checkpoints.map((_, index) => index * 4 + 1));
    assert.equal(Number(result.checkpoint!.seq), oldCount);
    assert.equal(result.checkpoints.reduce((sum, checkpoint) => sum + checkpoint.pruned_count, 0), oldCount);
    const report = await verifyChain(server);
    assert.equal(report.ok, true, report.problem);
    assert.equal(report.checkpointsChecked, result.checkpoints.length);
  });
});

describe('audit pruning with sinks', () => {
  it('keeps events a sink has not received', async (t) => {
    const receiver = new WebhookReceiver();
    await receiver.start();
    const server = await startTestServer();
    t.after(async () => {
      await server.close();
      await receiver.stop();
    });
    await ensureInstance(server, 'jira');
    const account = await createAccount(server, { name: 'held', access: [{ instance: 'jira', scopes: ['READ'] }] });
    // The receiver returns HTTP 500, so the sink stays at its start, event 4.
    receiver.status = 500;
    const sink = await server.admin.post('/audit-sinks', { name: 'behind', type: 'webhook', target: receiver.url, startFrom: 4 });
    await tokens(server, account, 5);
    server.clock.advance(10 * DAY_MS);
    await server.admin.signIn();
    await server.admin.put('/audit-retention', { days: 5 });

    const held = await pruneAuditLog(server.tessera.context);
    await server.admin.patch(`/audit-sinks/${sink.body.id}`, { enabled: false });
    const released = await pruneAuditLog(server.tessera.context);

    assert.equal(held.heldBackBySinks, true);
    assert.equal(Number(held.checkpoint!.seq), 3);
    assert.equal(released.heldBackBySinks, false);
    assert.equal(Number(released.checkpoint!.first_seq), 4);
    assert.equal((await verifyChain(server)).ok, true);
    assert.deepEqual(receiver.accepted, []);
  });
});

describe('audit pruning of every event', () => {
  it('continues the chain after the checkpoint', async (t) => {
    const server = await startTestServer();
    t.after(() => server.close());
    await server.admin.put('/audit-retention', { days: 5 });
    const [head] = await queryDatabase<{ seq: number }>(server, 'SELECT max(seq) AS seq FROM audit_events');
    server.clock.advance(10 * DAY_MS);

    const { checkpoint } = await pruneAuditLog(server.tessera.context);
    const remaining = await queryDatabase<{ seq: number; prev_hash: string; action: string }>(server, 'SELECT seq, prev_hash, action FROM audit_events ORDER BY seq');
    const report = await verifyChain(server);

    assert.equal(Number(checkpoint!.seq), Number(head.seq));
    assert.equal(remaining.length, 1);
    assert.equal(remaining[0].action, 'audit.pruned');
    assert.equal(Number(remaining[0].seq), Number(head.seq) + 1);
    assert.equal(remaining[0].prev_hash, checkpoint!.hash);
    assert.equal(report.ok, true, report.problem);
  });
});
