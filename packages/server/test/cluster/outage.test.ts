import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ADMIN_PASSWORD, AdminClient, type HttpResult, basicAuth, postForm, queryDatabase } from '../support/server.js';
import { type NodeProcess, ThrowawayPostgres, startNode } from './processes.js';

const LOAD_MS = 9_000;
const OUTAGE_STARTS_MS = 2_000;
const OUTAGE_ENDS_MS = 5_000;
/** Load goes on this long after PostgreSQL is back, however long its restart took. */
const RECOVERY_MS = 4_000;
/** Hard stop for the load, in case PostgreSQL never comes back. */
const MAX_LOAD_MS = 60_000;

interface Outcome {
  at: number;
  result: HttpResult | undefined;
}

describe('PostgreSQL outage during load', () => {
  let postgres: ThrowawayPostgres;
  let databaseUrl: string;
  let directory: string;
  let node: NodeProcess;
  let account: { clientId: string; clientSecret: string };

  before(async () => {
    postgres = await ThrowawayPostgres.create();
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('CREATE DATABASE tessera');
    await admin.end();
    databaseUrl = postgres.url.replace(/\/postgres$/, '/tessera');

    directory = mkdtempSync(join(tmpdir(), 'tessera-outage-'));
    node = await startNode({
      TESSERA_DATABASE_URL: databaseUrl,
      TESSERA_MASTER_KEY: randomBytes(32).toString('base64'),
      TESSERA_ADMIN_PASSWORD: ADMIN_PASSWORD,
      TESSERA_DATA_DIR: directory,
      TESSERA_DB_CONNECT_TIMEOUT_MS: '500',
    });

    const client = new AdminClient(node.url);
    await client.signIn();
    await client.post('/instances', { slug: 'jira', name: 'Jira', profile: 'jira', audience: 'https://jira.example.com' });
    const created = await client.post('/service-accounts', { name: 'outage', access: [{ instance: 'jira', scopes: ['READ'] }] });
    account = { clientId: created.body.clientId, clientSecret: created.body.credential.clientSecret };
  });

  after(async () => {
    await node?.stop();
    postgres?.destroy();
    rmSync(directory, { recursive: true, force: true });
  });

  it('answers 503 while down and recovers', async () => {
    const started = Date.now();
    const outcomes: Outcome[] = [];
    // Restarting PostgreSQL blocks this process (pg_ctl runs synchronously) and can take seconds
    // on a loaded machine, so recovery is judged from when the restart returned.
    let restartedAt = Number.POSITIVE_INFINITY;
    const loading = () => {
      const now = Date.now();
      return now - started < MAX_LOAD_MS && (now - started < LOAD_MS || now < restartedAt + RECOVERY_MS);
    };

    // Four clients send token requests in a loop, a bounded run on loopback.
    const client = async () => {
      while (loading()) {
        const result = await postForm(`${node.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(account.clientId, account.clientSecret) }).catch(() => undefined);
        outcomes.push({ at: Date.now() - started, result });
        if (result?.status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const outage = (async () => {
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_STARTS_MS));
      postgres.stop();
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_ENDS_MS - OUTAGE_STARTS_MS));
      try {
        postgres.start();
      } finally {
        restartedAt = Date.now();
      }
    })();
    await Promise.all([client(), client(), client(), client(), outage]);

    const unanswered = outcomes.filter((outcome) => outcome.result === undefined);
    const statuses = new Set(outcomes.map((outcome) => outcome.result?.status));
    const unavailable = outcomes.filter((outcome) => outcome.result?.status === 503);
    const settled = restartedAt - started + 2_000;
    const recovered = outcomes.filter((outcome) => outcome.at > settled && outcome.result?.status === 200);
    const lateFailures = outcomes.filter((outcome) => outcome.at > settled && outcome.result?.status !== 200);

    assert.deepEqual(unanswered.length, 0, `the node dropped ${unanswered.length} connections; its output: ${node.output().slice(-3000)}`);
    assert.deepEqual([...statuses].sort(), [200, 503]);
    assert.ok(unavailable.length > 0);
    for (const { result } of unavailable) {
      assert.equal(result!.body.error, 'temporarily_unavailable');
      assert.equal(result!.headers.get('retry-after'), '5');
    }
    assert.ok(recovered.length > 0, 'no token was issued after the database returned');
    assert.deepEqual(lateFailures.map((outcome) => outcome.result?.status), []);

    // Every token returned with 200 has its audit event.
    const jtis = outcomes
      .filter((outcome) => outcome.result?.status === 200)
      .map((outcome) => JSON.parse(Buffer.from(outcome.result!.body.access_token.split('.')[1], 'base64url').toString()).jti);
    const events = await queryDatabase<{ details: string }>({ databaseUrl }, "SELECT details FROM audit_events WHERE action = 'token.issued'");
    const audited = new Set(events.map((event) => JSON.parse(event.details).jti));
    assert.deepEqual(jtis.filter((jti) => !audited.has(jti)), []);
  });

  it('reports ready again', async () => {
    const response = await fetch(`${node.url}/readyz`);

    assert.equal(response.status, 200);
  });
});
