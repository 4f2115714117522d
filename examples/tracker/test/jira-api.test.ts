import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ANY_ACCOUNT } from '../src/roles.js';
import { type TrackerFixture, callTracker, createTrackerAccount, startTrackerFixture, tokenFor, trackerClient } from './support/tracker.js';

type Api = ReturnType<typeof trackerClient>;

const keysOf = (body: { issues: { key: string }[] }) => body.issues.map((issue) => issue.key);
const search = (api: Api, jql: string, extra = '') => api.get(`/search?jql=${encodeURIComponent(jql)}${extra}`);

describe('tracker Jira API', () => {
  let fixture: TrackerFixture;
  let api: Api;
  let token: string;

  before(async () => {
    fixture = await startTrackerFixture();
    const account = await createTrackerAccount(fixture, 'api-tester', ['WRITE'], '*');
    for (const project of ['ABC', 'OPS', 'WEB']) fixture.roles.assign(project, ANY_ACCOUNT, 'developer');
    token = await tokenFor(fixture, account);
    api = trackerClient(fixture, token);
  });

  after(() => fixture?.close());

  test('create rejects missing fields', async () => {
    const response = await api.post('/issue', { fields: { project: { key: 'ABC' } } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body, {
      errorMessages: [],
      errors: { summary: 'You must specify a summary of the issue.', issuetype: 'issue type is required' },
    });
  });

  test('create rejects unknown and invalid fields', async () => {
    const response = await api.post('/issue', {
      fields: { project: { id: '10000' }, summary: 'x', issuetype: { name: 'Epic' }, assignee: { name: 'bob' }, labels: ['two words'], priority: { name: 'Urgent' } },
    });
    assert.equal(response.status, 400);
    assert.equal(response.body.errors.assignee, "Field 'assignee' cannot be set. It is not on the appropriate screen, or unknown.");
    assert.match(response.body.errors.issuetype, /^Specify a valid issue type/);
    assert.equal(response.body.errors.labels, "The label 'two words' contains spaces which is invalid.");
    assert.match(response.body.errors.priority, /^Priority name 'Urgent' is not valid/);
  });

  test('create by project id and issue type id', async () => {
    const created = await api.post('/issue', { fields: { project: { id: '10000' }, summary: 'By ids', issuetype: { id: '10004' }, priority: { name: 'low' } } });
    assert.equal(created.status, 201);
    assert.equal(created.body.self, `${fixture.trackerUrl}/rest/api/2/issue/${created.body.id}`);

    const issue = await api.get(`/issue/${created.body.key.toLowerCase()}`);
    assert.equal(issue.status, 200);
    assert.equal(issue.body.fields.issuetype.name, 'Bug');
    assert.equal(issue.body.fields.priority.name, 'Low');
    assert.equal(issue.body.fields.status.name, 'Open');
    assert.match(issue.body.fields.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
  });

  test('update rejects fields it cannot set', async () => {
    const status = await api.put('/issue/ABC-2', { fields: { status: { name: 'Done' } } });
    assert.equal(status.status, 400);
    assert.equal(status.body.errors.status, "Field 'status' cannot be set. It is not on the appropriate screen, or unknown.");

    const both = await api.put('/issue/ABC-2', { fields: { summary: 'a' }, update: { summary: [{ set: 'b' }] } });
    assert.equal(both.status, 400);
    assert.match(both.body.errors.summary, /cannot appear in both 'fields' and 'update'/);

    const unknownOperation = await api.put('/issue/ABC-2', { update: { summary: [{ add: 'b' }] } });
    assert.equal(unknownOperation.status, 400);
    assert.match(unknownOperation.body.errors.summary, /Operation 'add' is not supported/);

    const unknownKey = await api.put('/issue/ABC-2', { fields: {}, transition: { id: '31' } });
    assert.equal(unknownKey.status, 400);
    assert.match(unknownKey.body.errorMessages[0], /^Unrecognized field "transition"/);

    const unchanged = await api.get('/issue/ABC-2?fields=summary');
    assert.equal(unchanged.body.fields.summary, 'Export monthly revenue as CSV');
  });

  test('update operations on labels', async () => {
    assert.equal((await api.put('/issue/ABC-2', { update: { labels: [{ add: 'csv' }, { remove: 'reports' }] } })).status, 204);
    assert.deepEqual((await api.get('/issue/ABC-2?fields=labels')).body.fields.labels, ['csv']);

    assert.equal((await api.put('/issue/ABC-2', { update: { labels: [{ set: ['reports'] }] } })).status, 204);
    assert.deepEqual((await api.get('/issue/ABC-2?fields=labels')).body.fields.labels, ['reports']);
  });

  test('fields parameter selects fields', async () => {
    const issue = await api.get('/issue/ABC-1?fields=summary,status');
    assert.deepEqual(Object.keys(issue.body.fields).sort(), ['status', 'summary']);

    const withoutComments = await api.get('/issue/ABC-1?fields=*all,-comment');
    assert.equal(withoutComments.body.fields.comment, undefined);
    assert.equal(typeof withoutComments.body.fields.summary, 'string');
  });

  test('search filters and orders', async () => {
    const open = await search(api, 'status = "Open" ORDER BY key ASC');
    assert.equal(open.status, 200);
    assert.ok(open.body.issues.every((issue: { fields: { status: { name: string } } }) => issue.fields.status.name === 'Open'));

    const inProgress = await search(api, "status = 'in progress' ORDER BY key ASC");
    assert.deepEqual(keysOf(inProgress.body), ['ABC-2', 'OPS-2']);

    const notOps = await search(api, 'project != OPS AND issuetype in (Bug, Story) ORDER BY key DESC');
    assert.ok(keysOf(notOps.body).length > 0);
    assert.ok(keysOf(notOps.body).every((key) => !key.startsWith('OPS-')));

    const byPriority = await search(api, 'project = OPS ORDER BY priority DESC');
    assert.deepEqual(keysOf(byPriority.body), ['OPS-1', 'OPS-2']);

    const newestFirst = await search(api, 'project = ABC AND key in (ABC-1, ABC-3) ORDER BY created DESC');
    assert.deepEqual(keysOf(newestFirst.body), ['ABC-3', 'ABC-1']);
  });

  test('search pages and clamps', async () => {
    const all = await search(api, 'ORDER BY key ASC');
    const page = await search(api, 'ORDER BY key ASC', '&startAt=1&maxResults=2');
    assert.equal(page.body.startAt, 1);
    assert.equal(page.body.maxResults, 2);
    assert.equal(page.body.total, all.body.total);
    assert.deepEqual(keysOf(page.body), keysOf(all.body).slice(1, 3));

    const clamped = await search(api, '', '&maxResults=5000');
    assert.equal(clamped.body.maxResults, 100);

    const negative = await search(api, '', '&startAt=-1');
    assert.equal(negative.status, 400);
    assert.match(negative.body.errorMessages[0], /not a valid non-negative integer for the parameter 'startAt'/);

    const repeated = await api.get('/search?jql=project%3DABC&jql=project%3DOPS');
    assert.equal(repeated.status, 400);
    assert.match(repeated.body.errorMessages[0], /'jql' is given more than once/);
  });

  test('search rejects invalid JQL and values', async () => {
    const unknownField = await search(api, 'assignee = bob');
    assert.equal(unknownField.status, 400);
    assert.deepEqual(unknownField.body, { errorMessages: ["Field 'assignee' does not exist or you do not have permission to view it."], errors: {} });

    const unknownStatus = await search(api, 'status = Closed');
    assert.deepEqual(unknownStatus.body.errorMessages, ["The value 'Closed' does not exist for the field 'status'."]);

    const syntax = await search(api, 'project = ABC OR project = OPS');
    assert.equal(syntax.status, 400);
    assert.match(syntax.body.errorMessages[0], /^Error in the JQL Query: OR is not supported/);
  });

  test('POST search takes a JSON body', async () => {
    const response = await api.post('/search', { jql: 'project = ABC ORDER BY key ASC', startAt: 0, maxResults: 2, fields: ['summary'] });
    assert.equal(response.status, 200);
    assert.deepEqual(keysOf(response.body), ['ABC-1', 'ABC-2']);
    assert.deepEqual(Object.keys(response.body.issues[0].fields), ['summary']);

    const unknown = await api.post('/search', { jql: '', orderBy: 'key' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.errorMessages[0], /^Unrecognized field "orderBy"/);
  });

  test('comments page and validate', async () => {
    for (const body of ['first', 'second', 'third']) assert.equal((await api.post('/issue/WEB-1/comment', { body })).status, 201);

    const page = await api.get('/issue/WEB-1/comment?startAt=1&maxResults=1');
    assert.equal(page.body.total, 3);
    assert.deepEqual(
      page.body.comments.map((comment: { body: string }) => comment.body),
      ['second'],
    );

    const one = await api.get(`/issue/WEB-1/comment/${page.body.comments[0].id}`);
    assert.equal(one.body.body, 'second');

    const empty = await api.post('/issue/WEB-1/comment', { body: '  ' });
    assert.equal(empty.status, 400);
    assert.deepEqual(empty.body.errors, { comment: 'Comment body can not be empty!' });

    const restricted = await api.post('/issue/WEB-1/comment', { body: 'secret', visibility: { type: 'role', value: 'Administrators' } });
    assert.equal(restricted.status, 400);
    assert.match(restricted.body.errorMessages[0], /visibility restrictions are not supported/);
  });

  test('transitions list and apply', async () => {
    const transitions = await api.get('/issue/WEB-1/transitions');
    assert.deepEqual(
      transitions.body.transitions.map((transition: { id: string; to: { name: string } }) => [transition.id, transition.to.name]),
      [
        ['21', 'In Progress'],
        ['31', 'Done'],
      ],
    );

    const invalid = await api.post('/issue/WEB-1/transitions', { transition: { id: '11' } });
    assert.equal(invalid.status, 400);
    assert.deepEqual(invalid.body.errorMessages, ["Transition id '11' is not valid for this issue."]);
  });

  test('Jira-shaped errors for HTTP problems', async () => {
    const list = await api.get('/issue');
    assert.equal(list.status, 405);
    assert.equal(list.headers.get('allow'), 'POST');
    assert.deepEqual(Object.keys(list.body), ['errorMessages', 'errors']);

    const unknownPath = await api.get('/dashboard');
    assert.equal(unknownPath.status, 404);
    assert.match(unknownPath.body.errorMessages[0], /^No resource at GET \/rest\/api\/2\/dashboard/);

    const malformed = await callTracker(fixture, token, 'POST', '/issue', '{"fields": ');
    assert.equal(malformed.status, 400);
    assert.deepEqual(Object.keys(malformed.body), ['errorMessages', 'errors']);

    const notJson = await fetch(`${fixture.trackerUrl}/rest/api/2/issue`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body: 'hello' });
    assert.equal(notJson.status, 415);
    assert.deepEqual(Object.keys(await notJson.json()), ['errorMessages', 'errors']);

    const notObject = await api.post('/issue', ['fields']);
    assert.equal(notObject.status, 400);
    assert.deepEqual(notObject.body.errorMessages, ['The request body must be a JSON object.']);
  });
});
