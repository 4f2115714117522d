import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CreatedAccount } from '../../../packages/server/test/support/server.js';
import { ANY_ACCOUNT } from '../src/roles.js';
import { type TrackerFixture, createTrackerAccount, eventually, startTrackerFixture, tokenFor, trackerClient } from './support/tracker.js';

const JIRA_ERROR_KEYS = ['errorMessages', 'errors'];

describe('tracker access', () => {
  let fixture: TrackerFixture;
  /** WRITE on ABC in Tessera; developer on ABC in the tracker. */
  let writer: CreatedAccount;
  /** WRITE on ABC and OPS in Tessera; developer on ABC but only viewer on OPS in the tracker. */
  let viewerOnOps: CreatedAccount;

  before(async () => {
    fixture = await startTrackerFixture();
    writer = await createTrackerAccount(fixture, 'abc-writer', ['WRITE'], ['ABC']);
    viewerOnOps = await createTrackerAccount(fixture, 'ops-viewer', ['WRITE'], ['ABC', 'OPS']);

    for (const project of ['ABC', 'OPS', 'WEB']) fixture.roles.assign(project, ANY_ACCOUNT, 'viewer');
    fixture.roles.assign('ABC', writer.clientId, 'developer');
    // Keyed by account id rather than client id: both identify an account.
    fixture.roles.assign('ABC', viewerOnOps.id, 'developer');
  });

  after(() => fixture?.close());

  test('reads in an allowed project', async () => {
    const api = trackerClient(fixture, await tokenFor(fixture, writer));

    const projects = await api.get('/project');
    assert.equal(projects.status, 200);
    assert.deepEqual(
      projects.body.map((project: { key: string }) => project.key),
      ['ABC'],
    );

    const project = await api.get('/project/ABC');
    assert.equal(project.status, 200);
    assert.equal(project.body.name, 'Accounts and Billing');
    assert.equal(project.body.self, `${fixture.trackerUrl}/rest/api/2/project/${project.body.id}`);

    const issue = await api.get('/issue/ABC-1');
    assert.equal(issue.status, 200);
    assert.equal(issue.body.key, 'ABC-1');
    assert.equal(issue.body.fields.project.key, 'ABC');
    assert.equal(issue.body.fields.status.name, 'Open');
    assert.equal(issue.body.fields.comment.total, 1);

    const byId = await api.get(`/issue/${issue.body.id}`);
    assert.equal(byId.body.key, 'ABC-1');

    const comments = await api.get('/issue/ABC-1/comment');
    assert.equal(comments.status, 200);
    assert.equal(comments.body.comments[0].body, 'Reproduced with customer 4411.');

    const search = await api.get(`/search?jql=${encodeURIComponent('project = ABC ORDER BY key ASC')}`);
    assert.equal(search.status, 200);
    assert.deepEqual(
      search.body.issues.map((found: { key: string }) => found.key),
      ['ABC-1', 'ABC-2', 'ABC-3'],
    );
  });

  test('writes in an allowed project', async () => {
    const api = trackerClient(fixture, await tokenFor(fixture, writer));

    const created = await api.post('/issue', { fields: { project: { key: 'ABC' }, summary: 'Nightly export failed', issuetype: { name: 'Bug' }, labels: ['nightly'] } });
    assert.equal(created.status, 201);
    assert.match(created.body.key, /^ABC-[0-9]+$/);

    const updated = await api.put(`/issue/${created.body.key}`, { fields: { summary: 'Nightly export failed twice' }, update: { labels: [{ add: 'urgent' }] } });
    assert.equal(updated.status, 204);

    const comment = await api.post(`/issue/${created.body.key}/comment`, { body: 'Retried at 02:10.' });
    assert.equal(comment.status, 201);
    assert.equal(comment.body.author.name, writer.clientId);

    const transition = await api.post(`/issue/${created.body.key}/transitions`, { transition: { id: '31' } });
    assert.equal(transition.status, 204);

    const issue = await api.get(`/issue/${created.body.key}`);
    assert.equal(issue.body.fields.summary, 'Nightly export failed twice');
    assert.deepEqual(issue.body.fields.labels, ['nightly', 'urgent']);
    assert.equal(issue.body.fields.reporter.key, writer.id);
    assert.equal(issue.body.fields.status.name, 'Done');
    assert.equal(issue.body.fields.comment.comments[0].body, 'Retried at 02:10.');
  });

  test('projects outside the token are invisible', async () => {
    const api = trackerClient(fixture, await tokenFor(fixture, writer));

    const project = await api.get('/project/OPS');
    assert.equal(project.status, 404);
    assert.deepEqual(Object.keys(project.body), JIRA_ERROR_KEYS);
    assert.deepEqual(project.body.errorMessages, ["No project could be found with key 'OPS'."]);

    const issue = await api.get('/issue/OPS-1');
    assert.equal(issue.status, 404);
    assert.deepEqual(issue.body, { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });

    // A project that does not exist gets exactly the same response.
    const missing = await api.get('/issue/NOPE-1');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, issue.body);

    const comments = await api.get('/issue/OPS-1/comment');
    assert.equal(comments.status, 404);

    const update = await api.put('/issue/OPS-1', { fields: { summary: 'changed' } });
    assert.equal(update.status, 404);

    const comment = await api.post('/issue/OPS-1/comment', { body: 'hello' });
    assert.equal(comment.status, 404);

    const create = await api.post('/issue', { fields: { project: { key: 'OPS' }, summary: 'Outside', issuetype: { name: 'Task' } } });
    assert.equal(create.status, 400);
    assert.equal(create.body.errors.project, 'Specify a valid project ID or key');

    const search = await api.get(`/search?jql=${encodeURIComponent('project = OPS')}`);
    assert.equal(search.status, 400);
    assert.deepEqual(search.body.errorMessages, ["The value 'OPS' does not exist for the field 'project'."]);

    const everything = await api.get('/search');
    assert.equal(everything.status, 200);
    assert.ok(everything.body.issues.length > 0);
    assert.ok(everything.body.issues.every((found: { key: string }) => found.key.startsWith('ABC-')));
  });

  test('READ-only token rejected on writes', async () => {
    const api = trackerClient(fixture, await tokenFor(fixture, writer, 'READ'));

    const read = await api.get('/issue/ABC-1');
    assert.equal(read.status, 200);

    const create = await api.post('/issue', { fields: { project: { key: 'ABC' }, summary: 'Read-only', issuetype: { name: 'Task' } } });
    assert.equal(create.status, 403);
    assert.match(create.headers.get('www-authenticate') ?? '', /^Bearer error="insufficient_scope"/);
    assert.match(create.headers.get('www-authenticate') ?? '', /scope="write:issue"/);
    assert.deepEqual(create.body, { errorMessages: ['The access token lacks the scope write:issue.'], errors: {} });

    const update = await api.put('/issue/ABC-1', { fields: { summary: 'changed' } });
    assert.equal(update.status, 403);
    assert.match(update.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);

    const comment = await api.post('/issue/ABC-1/comment', { body: 'hello' });
    assert.equal(comment.status, 403);
    assert.match(comment.headers.get('www-authenticate') ?? '', /scope="write:comment"/);

    // The scope is checked before the body is parsed.
    const malformed = await api.post('/issue', '{"fields": ');
    assert.equal(malformed.status, 403);
  });

  test('fine scopes decide each route', async () => {
    const issuesOnly = await createTrackerAccount(fixture, 'issue-reader', ['read:issue'], ['ABC']);
    const api = trackerClient(fixture, await tokenFor(fixture, issuesOnly));

    assert.equal((await api.get('/issue/ABC-1')).status, 200);
    assert.equal((await api.get('/search?jql=project%3DABC')).status, 200);

    const projects = await api.get('/project');
    assert.equal(projects.status, 403);
    assert.match(projects.headers.get('www-authenticate') ?? '', /scope="read:project"/);

    const comments = await api.get('/issue/ABC-1/comment');
    assert.equal(comments.status, 403);
    assert.match(comments.headers.get('www-authenticate') ?? '', /scope="read:comment"/);
  });

  test('tracker role rejects a write', async () => {
    const api = trackerClient(fixture, await tokenFor(fixture, viewerOnOps));

    const read = await api.get('/issue/OPS-1');
    assert.equal(read.status, 200);

    const create = await api.post('/issue', { fields: { project: { key: 'OPS' }, summary: 'Viewer writes', issuetype: { name: 'Task' } } });
    assert.equal(create.status, 403);
    assert.deepEqual(create.body, { errorMessages: ['You do not have permission to create issues in this project.'], errors: {} });
    // The token is valid and the rejection is the tracker's own, so there is no bearer challenge.
    assert.equal(create.headers.get('www-authenticate'), null);

    const update = await api.put('/issue/OPS-1', { fields: { summary: 'changed' } });
    assert.equal(update.status, 403);
    assert.deepEqual(update.body.errorMessages, ['You do not have permission to edit issues in this project.']);

    const comment = await api.post('/issue/OPS-1/comment', { body: 'hello' });
    assert.equal(comment.status, 403);
    assert.deepEqual(comment.body.errorMessages, ['You do not have the permission to comment on this issue.']);

    const transition = await api.post('/issue/OPS-1/transitions', { transition: { id: '31' } });
    assert.equal(transition.status, 403);

    // The same token writes where its tracker role is developer.
    const allowed = await api.post('/issue', { fields: { project: { key: 'ABC' }, summary: 'Developer writes', issuetype: { name: 'Task' } } });
    assert.equal(allowed.status, 201);
  });

  test('no tracker role hides a granted project', async () => {
    const everywhere = await createTrackerAccount(fixture, 'all-projects', ['READ'], '*');
    fixture.roles.unassign('WEB', ANY_ACCOUNT);
    try {
      const api = trackerClient(fixture, await tokenFor(fixture, everywhere));
      const projects = await api.get('/project');
      assert.deepEqual(
        projects.body.map((project: { key: string }) => project.key),
        ['ABC', 'OPS'],
      );
      assert.equal((await api.get('/issue/WEB-1')).status, 404);
      assert.equal((await api.get('/project/WEB')).status, 404);
    } finally {
      fixture.roles.assign('WEB', ANY_ACCOUNT, 'viewer');
    }
  });

  test('missing or invalid token is 401', async () => {
    const anonymous = await trackerClient(fixture, undefined).get('/issue/ABC-1');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
    assert.deepEqual(Object.keys(anonymous.body), JIRA_ERROR_KEYS);

    const garbage = await trackerClient(fixture, 'not-a-token').get('/issue/ABC-1');
    assert.equal(garbage.status, 401);
    assert.match(garbage.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  test('revoked credential is rejected', async () => {
    const account = await createTrackerAccount(fixture, 'short-lived', ['READ'], ['ABC']);
    const api = trackerClient(fixture, await tokenFor(fixture, account));
    assert.equal((await api.get('/myself')).status, 200);

    const revoked = await fixture.tessera.admin.delete(`/service-accounts/${account.id}/credentials/${account.credentialId}`);
    assert.ok(revoked.status < 300, `revoking failed: ${revoked.status} ${revoked.text}`);

    const rejected = await eventually(
      async () => {
        const response = await api.get('/myself');
        return response.status === 401 ? response : undefined;
      },
      10_000,
      'the tracker rejecting the revoked credential',
    );
    assert.match(rejected.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.deepEqual(rejected.body.errorMessages, ['The access token was revoked.']);
  });

  test('myself describes the account', async () => {
    const api = trackerClient(fixture, await tokenFor(fixture, viewerOnOps));
    const myself = await api.get('/myself');

    assert.equal(myself.status, 200);
    assert.equal(myself.body.name, viewerOnOps.clientId);
    assert.equal(myself.body.key, viewerOnOps.id);
    assert.equal(myself.body.active, true);
    assert.equal(myself.body.serviceAccount.credentialId, viewerOnOps.credentialId);
    assert.deepEqual(myself.body.serviceAccount.scopes, ['WRITE']);
    assert.deepEqual(myself.body.serviceAccount.projectRoles, { ABC: 'developer', OPS: 'viewer' });
  });
});
