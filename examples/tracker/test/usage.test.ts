import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ANY_ACCOUNT } from '../src/roles.js';
import { type TrackerFixture, createTrackerAccount, eventually, startTrackerFixture, tokenFor, trackerClient } from './support/tracker.js';

interface AuditEvent {
  actor: { type: string; id: string; credentialId: string | null };
  action: string;
  target: { type: string; id: string } | null;
  outcome: string;
  details: { method: string; route: string; status: number; tokenId: string; reportedBy: string };
}

describe('tracker usage reports', () => {
  let fixture: TrackerFixture;

  before(async () => {
    fixture = await startTrackerFixture();
    fixture.roles.assign('ABC', ANY_ACCOUNT, 'developer');
    fixture.roles.assign('OPS', ANY_ACCOUNT, 'viewer');
  });

  after(() => fixture?.close());

  test('requests appear as api.request events', async () => {
    const account = await createTrackerAccount(fixture, 'reporting-writer', ['WRITE'], ['ABC']);
    const api = trackerClient(fixture, await tokenFor(fixture, account));
    const readOnly = trackerClient(fixture, await tokenFor(fixture, account, 'READ'));

    assert.equal((await api.get('/issue/ABC-1')).status, 200);
    assert.equal((await api.post('/issue', { fields: { project: { key: 'ABC' }, summary: 'Reported', issuetype: { name: 'Task' } } })).status, 201);
    assert.equal((await api.get('/issue/OPS-1')).status, 404);
    assert.equal((await readOnly.post('/issue/ABC-1/comment', { body: 'no' })).status, 403);
    assert.equal((await api.get(`/search?jql=${encodeURIComponent('project = ABC')}`)).status, 200);

    const events = await eventually(
      async () => {
        await fixture.guard.flushUsage();
        const response = await fixture.tessera.admin.get(`/audit-events?action=api.request&account=${account.id}&limit=50`);
        assert.equal(response.status, 200, response.text);
        const items = response.body.items as AuditEvent[];
        return items.length >= 5 ? items : undefined;
      },
      10_000,
      'five api.request events',
    );

    assert.equal(events.length, 5);
    for (const event of events) {
      assert.equal(event.action, 'api.request');
      assert.equal(event.actor.type, 'service_account');
      assert.equal(event.actor.id, account.id);
      assert.equal(event.actor.credentialId, account.credentialId);
      assert.equal(event.details.reportedBy, fixture.guardAccount.id);
    }

    const byRequest = (method: string, route: string, status: number) => events.find((event) => event.details.method === method && event.details.route === route && event.details.status === status);

    const read = byRequest('GET', '/rest/api/2/issue/:issueIdOrKey', 200);
    assert.ok(read, 'the issue read is reported with its route template');
    assert.deepEqual(read.target && { type: read.target.type, id: read.target.id }, { type: 'project', id: 'ABC' });
    assert.equal(read.outcome, 'success');

    const created = byRequest('POST', '/rest/api/2/issue', 201);
    assert.ok(created, 'the issue creation is reported');
    assert.equal(created.target?.id, 'ABC');

    const hidden = byRequest('GET', '/rest/api/2/issue/:issueIdOrKey', 404);
    assert.ok(hidden, 'the rejected read outside the grant is reported');
    assert.equal(hidden.outcome, 'failure');

    const rejected = byRequest('POST', '/rest/api/2/issue/:issueIdOrKey/comment', 403);
    assert.ok(rejected, 'the rejected write with a READ token is reported');
    assert.equal(rejected.outcome, 'failure');

    const search = byRequest('GET', '/rest/api/2/search', 200);
    assert.ok(search, 'the search is reported');
    assert.equal(search.target?.id, 'ABC');
  });

  test('unauthenticated requests are not reported', async () => {
    const account = await createTrackerAccount(fixture, 'reporting-reader', ['READ'], ['ABC']);
    const api = trackerClient(fixture, await tokenFor(fixture, account));
    const countEvents = async () => (await fixture.tessera.admin.get('/audit-events?action=api.request&limit=200')).body.items.length as number;
    const before = await countEvents();

    assert.equal((await trackerClient(fixture, undefined).get('/issue/ABC-1')).status, 401);
    assert.equal((await trackerClient(fixture, 'not-a-token').get('/issue/ABC-1')).status, 401);
    // One authenticated request afterwards: once its event arrives, any event of the two above would have too.
    assert.equal((await api.get('/issue/ABC-1')).status, 200);

    const after = await eventually(
      async () => {
        await fixture.guard.flushUsage();
        const count = await countEvents();
        return count > before ? count : undefined;
      },
      10_000,
      'the authenticated request being reported',
    );
    assert.equal(after, before + 1);
  });
});
