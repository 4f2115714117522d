import assert from 'node:assert/strict';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { AuditEventInput } from '../src/audit/event.js';
import { ExportChainChecker } from '../src/audit/export-chain.js';
import { appendAuditEvents } from '../src/audit/writer.js';
import { type TestServer, startTestServer } from './support/server.js';

const EVENTS = 20_000;
const PER_TRANSACTION = 5000;

/** Varied events, so that every field of the chain hash takes part: nulls, details, failures. */
function syntheticEvent(index: number): AuditEventInput {
  return {
    actor: index % 3 === 0 ? { type: 'anonymous' } : { type: 'service_account', id: `account-${index % 17}`, credentialId: `credential-${index % 5}` },
    action: index % 7 === 0 ? 'token.refused' : 'token.issued',
    target: index % 2 === 0 ? { type: 'credential', id: `credential-${index % 5}` } : null,
    instanceId: index % 4 === 0 ? null : 'instance-1',
    source: { ip: `10.0.${index % 250}.${index % 200}`, userAgent: index % 5 === 0 ? null : 'bulk-writer/1 "quoted"' },
    outcome: index % 7 === 0 ? 'failure' : 'success',
    reason: index % 7 === 0 ? 'wrong_secret' : null,
    details: index % 3 === 0 ? null : { scope: 'READ', n: index, nested: { unicode: 'é✓', list: [1, 2.5, null] } },
  };
}

describe('audit export at scale', () => {
  let server: TestServer;
  /** The newest exported lines, for the tampering check. */
  const newest: string[] = [];

  before(async () => {
    server = await startTestServer();
    const { audit, clock, keyMaterial } = server.tessera.context;
    for (let start = 0; start < EVENTS; start += PER_TRANSACTION) {
      const batch = Array.from({ length: PER_TRANSACTION }, (_, offset) => ({ event: syntheticEvent(start + offset), occurredAt: clock.now() + start + offset }));
      await audit.transaction((trx) => appendAuditEvents(trx, batch, keyMaterial.auditChainKey));
    }
  });

  after(() => server.close());

  it('recomputes the chain from the JSON Lines export', async () => {
    const response = await fetch(`${server.baseUrl}/api/v1/audit-events/export?format=jsonl`, { headers: { cookie: server.admin.cookie } });
    const checker = new ExportChainChecker(server.tessera.context.keyMaterial.auditChainKey);
    for await (const line of createInterface({ input: Readable.fromWeb(response.body as any) })) {
      if (newest.length < 3) newest.push(line);
      checker.push(line);
    }

    assert.equal(response.status, 200);
    assert.equal(checker.finish(), null);
    // The events written at start-up (the admin and its sign-in) come before the bulk ones.
    assert.ok(checker.events >= EVENTS + 2, `only ${checker.events} events exported`);
  });

  it('notices a changed line', () => {
    const checker = new ExportChainChecker(server.tessera.context.keyMaterial.auditChainKey);
    const changed = JSON.parse(newest[1]);
    changed.outcome = changed.outcome === 'success' ? 'failure' : 'success';

    checker.push(newest[0]);
    checker.push(JSON.stringify(changed));
    checker.push(newest[2]);

    assert.equal(checker.problem, `the hash of event ${changed.id} does not match its exported fields and the previous hash`);
  });
});
