/**
 * The npm package jira-client (8.2.2), unchanged, against the tracker with a service-account
 * token in its `bearer` option: it reads and writes issues in the account's project and is
 * rejected elsewhere.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import JiraApi from 'jira-client';
import type { CreatedAccount } from '../../../packages/server/test/support/server.js';
import { ANY_ACCOUNT } from '../src/roles.js';
import { type TrackerFixture, createTrackerAccount, startTrackerFixture, tokenFor } from './support/tracker.js';

/** jira-client throws an Error whose message is the JSON error body of the response. */
function jiraErrorBody(error: unknown): { errorMessages?: string[]; errors?: Record<string, string> } {
  assert.ok(error instanceof Error, 'jira-client rejects with an Error');
  return JSON.parse(error.message);
}

describe('jira-client against the tracker', () => {
  let fixture: TrackerFixture;
  let account: CreatedAccount;
  let jira: JiraApi;

  before(async () => {
    fixture = await startTrackerFixture();
    account = await createTrackerAccount(fixture, 'jira-client-bot', ['WRITE'], ['ABC']);
    fixture.roles.assign('ABC', account.clientId, 'developer');
    fixture.roles.assign('OPS', ANY_ACCOUNT, 'viewer');

    const url = new URL(fixture.trackerUrl);
    jira = new JiraApi({
      protocol: 'http',
      host: url.hostname,
      port: url.port,
      apiVersion: '2',
      strictSSL: true,
      bearer: await tokenFor(fixture, account),
    });
  });

  after(() => fixture?.close());

  test('reads projects, issues and the user', async () => {
    const projects = (await jira.listProjects()) as { key: string }[];
    assert.deepEqual(
      projects.map((project) => project.key),
      ['ABC'],
    );

    const project = await jira.getProject('ABC');
    assert.equal(project.key, 'ABC');

    const issue = await jira.findIssue('ABC-1');
    assert.equal(issue.key, 'ABC-1');
    assert.equal(issue.fields.summary, 'Invoice PDF shows the wrong currency symbol');

    const myself = await jira.getCurrentUser();
    assert.equal(myself.name, account.clientId);
  });

  test('searches with JQL', async () => {
    const result = await jira.searchJira('project = "ABC" AND status = Open ORDER BY created DESC', { maxResults: 10, fields: ['summary', 'status'] });
    assert.ok(result.total >= 1);
    for (const issue of result.issues as { key: string; fields: Record<string, { name?: string }> }[]) {
      assert.match(issue.key, /^ABC-/);
      assert.equal(issue.fields.status.name, 'Open');
      assert.deepEqual(Object.keys(issue.fields).sort(), ['status', 'summary']);
    }
  });

  test('creates, updates and comments on an issue', async () => {
    const created = await jira.addNewIssue({ fields: { project: { key: 'ABC' }, summary: 'Filed by jira-client', issuetype: { name: 'Task' }, description: 'From the test.' } });
    assert.match(created.key, /^ABC-[0-9]+$/);

    await jira.updateIssue(created.key, { fields: { summary: 'Filed and edited by jira-client' } });
    await jira.addComment(created.key, 'A comment from jira-client.');
    await jira.transitionIssue(created.key, { transition: { id: '21' } });

    const issue = await jira.findIssue(created.key);
    assert.equal(issue.fields.summary, 'Filed and edited by jira-client');
    assert.equal(issue.fields.status.name, 'In Progress');

    const comments = await jira.getComments(created.key);
    assert.equal(comments.total, 1);
    assert.equal(comments.comments[0].body, 'A comment from jira-client.');
    assert.equal(comments.comments[0].author.name, account.clientId);
  });

  test('rejected outside its projects', async () => {
    await assert.rejects(jira.findIssue('OPS-1'), (error) => {
      assert.deepEqual(jiraErrorBody(error).errorMessages, ['Issue does not exist or you do not have permission to see it.']);
      return true;
    });

    await assert.rejects(jira.searchJira('project = OPS'), (error) => {
      assert.deepEqual(jiraErrorBody(error).errorMessages, ["The value 'OPS' does not exist for the field 'project'."]);
      return true;
    });

    await assert.rejects(jira.addNewIssue({ fields: { project: { key: 'OPS' }, summary: 'Outside', issuetype: { name: 'Task' } } }), (error) => {
      assert.equal(jiraErrorBody(error).errors?.project, 'Specify a valid project ID or key');
      return true;
    });

    await assert.rejects(jira.addComment('OPS-1', 'hello'), (error) => {
      assert.equal(jiraErrorBody(error).errorMessages?.[0], 'Issue does not exist or you do not have permission to see it.');
      return true;
    });
  });
});
