import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem } from './support/problem.js';
import { type CreatedAccount, type TestServer, basicAuth, createAccount, ensureInstance, startTestServer } from './support/server.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('seat report', () => {
  let server: TestServer;
  let jiraProduct: CreatedAccount;
  let wikiProduct: CreatedAccount;
  let twoInstances: CreatedAccount;
  let noGrants: CreatedAccount;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira', 'jira', 'https://jira.example.com');
    await ensureInstance(server, 'wiki', 'confluence', 'https://wiki.example.com');
    await ensureInstance(server, 'git', 'bitbucket', 'https://git.example.com');
    jiraProduct = await createAccount(server, { name: 'jira-itself', access: [{ instance: 'jira', scopes: ['READ'] }] });
    wikiProduct = await createAccount(server, { name: 'wiki-itself', access: [{ instance: 'wiki', scopes: ['READ'] }] });
    twoInstances = await createAccount(server, { name: 'sync', access: [{ instance: 'jira', scopes: ['WRITE'], resources: { project: ['OPS'] } }, { instance: 'wiki', scopes: ['READ'], resources: { space: '*' } }] });
    const retired = await createAccount(server, { name: 'retired', access: [{ instance: 'jira', scopes: ['READ'], resources: { project: ['OLD'] } }] });
    await server.admin.patch(`/service-accounts/${retired.id}`, { status: 'disabled' });
    noGrants = await createAccount(server, { name: 'no-grants' });
  });

  after(() => server.close());

  async function reportSeats(body: unknown, caller: CreatedAccount = jiraProduct) {
    const response = await fetch(`${server.baseUrl}/guard/v1/seats`, {
      method: 'POST',
      headers: { authorization: basicAuth(caller.clientId, caller.clientSecret), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }

  async function seatEvents() {
    const result = await server.admin.get('/audit-events?action=seats.*&limit=100');
    return result.body.items;
  }

  const row = (report: any, slug: string) => report.items.find((item: any) => item.instance.slug === slug);

  it('starts with no humans reported', async () => {
    const result = await server.admin.get('/reports/seats');

    assert.equal(result.status, 200);
    assert.deepEqual(
      result.body.items.map((item: any) => [item.instance.slug, item.humans, item.serviceAccounts, item.serviceAccountSeats, item.licensedSeats]),
      [
        ['git', null, { total: 0, active: 0, disabled: 0 }, 0, null],
        ['jira', null, { total: 3, active: 2, disabled: 1 }, 0, null],
        ['wiki', null, { total: 2, active: 2, disabled: 0 }, 0, null],
      ],
    );
    assert.deepEqual(result.body.totals, { instances: 3, instancesReported: 0, licensedUsers: 0, activeUsers: null, serviceAccounts: { total: 4, active: 3, disabled: 1 }, serviceAccountSeats: 0 });
  });

  it('takes a product report', async () => {
    const result = await reportSeats({ licensedUsers: 250, activeUsers: 180 });
    const report = (await server.admin.get('/reports/seats')).body;
    const jira = row(report, 'jira');

    assert.equal(result.status, 200);
    assert.deepEqual(result.body, { instance: { id: jira.instance.id, slug: 'jira' }, licensedUsers: 250, activeUsers: 180, serviceAccountSeats: 0, reportedAt: new Date(server.clock.now()).toISOString(), audited: true });
    assert.deepEqual(jira.humans, {
      licensedUsers: 250,
      activeUsers: 180,
      reportedVia: 'product',
      reportedBy: { type: 'service_account', id: jiraProduct.id, name: 'jira-itself' },
      reportedAt: new Date(server.clock.now()).toISOString(),
      changedAt: new Date(server.clock.now()).toISOString(),
    });
    assert.equal(jira.licensedSeats, 250);
    assert.equal(jira.serviceAccountSeats, 0);
  });

  it('audits changes only', async () => {
    const [first] = await seatEvents();
    server.clock.advance(60_000);
    const same = await reportSeats({ licensedUsers: 250, activeUsers: 180 });
    server.clock.advance(60_000);
    const activeOnly = await reportSeats({ licensedUsers: 250, activeUsers: 175 });

    assert.equal(same.body.audited, false);
    assert.equal(activeOnly.body.audited, false);
    assert.deepEqual((await seatEvents()).map((event: any) => event.id), [first.id]);
    assert.equal(first.action, 'seats.reported');
    assert.equal(first.actor.id, jiraProduct.id);
    assert.deepEqual(first.details, { before: null, after: { licensedUsers: 250, activeUsers: 180, source: 'product' } });
    assert.equal(row((await server.admin.get('/reports/seats')).body, 'jira').humans.activeUsers, 175);
  });

  it('audits an active-count change once a day', async () => {
    server.clock.advance(DAY_MS);
    await server.admin.signIn();
    const daily = await reportSeats({ licensedUsers: 250, activeUsers: 170 });
    const soon = await reportSeats({ licensedUsers: 250, activeUsers: 171 });

    assert.equal(daily.body.audited, true);
    assert.equal(soon.body.audited, false);
    assert.deepEqual((await seatEvents())[0].details, { before: { licensedUsers: 250, activeUsers: 175, source: 'product' }, after: { licensedUsers: 250, activeUsers: 170, source: 'product' } });
  });

  it('audits a licensed-count change at once', async () => {
    const result = await reportSeats({ licensedUsers: 260 });

    assert.equal(result.body.audited, true);
    assert.equal(result.body.activeUsers, null);
    assert.deepEqual((await seatEvents())[0].details.after, { licensedUsers: 260, activeUsers: null, source: 'product' });
  });

  it('lets an admin set the count', async () => {
    const result = await server.admin.put('/instances/git/seats', { licensedUsers: 40, activeUsers: 12 });
    const report = (await server.admin.get('/reports/seats')).body;
    const [event] = await seatEvents();

    assert.equal(result.status, 200, result.text);
    assert.deepEqual(result.body, { instance: { id: row(report, 'git').instance.id, slug: 'git' }, licensedUsers: 40, activeUsers: 12, reportedVia: 'admin', reportedAt: new Date(server.clock.now()).toISOString() });
    assert.equal(row(report, 'git').humans.reportedVia, 'admin');
    assert.deepEqual(row(report, 'git').humans.reportedBy.name, 'admin');
    assert.equal(event.action, 'seats.updated');
    assert.equal(event.actor.type, 'admin');
    assert.deepEqual(event.details, { before: null, after: { licensedUsers: 40, activeUsers: 12, source: 'admin' } });
  });

  it('audits every admin change', async () => {
    const before = (await seatEvents()).length;
    await server.admin.put('/instances/git/seats', { licensedUsers: 40, activeUsers: 12 });

    assert.equal((await seatEvents()).length, before + 1);
  });

  it('needs the audience with several grants', async () => {
    const ambiguous = await reportSeats({ licensedUsers: 5 }, twoInstances);
    const named = await reportSeats({ licensedUsers: 90, audience: 'https://wiki.example.com/' }, twoInstances);

    assert.equal(ambiguous.status, 400);
    assert.equal(ambiguous.body.error, 'invalid_request');
    assert.match(ambiguous.body.error_description, /audience/);
    assert.equal(named.status, 200);
    assert.equal(named.body.instance.slug, 'wiki');
  });

  it('totals the report', async () => {
    const report = (await server.admin.get('/reports/seats')).body;

    assert.deepEqual(report.totals, { instances: 3, instancesReported: 3, licensedUsers: 260 + 40 + 90, activeUsers: 12, serviceAccounts: { total: 4, active: 3, disabled: 1 }, serviceAccountSeats: 0 });
    assert.deepEqual(report.items.map((item: any) => item.licensedSeats), [40, 260, 90]);
  });

  it('writes the report as CSV', async () => {
    const result = await server.admin.request('GET', '/reports/seats?format=csv');
    const json = (await server.admin.get('/reports/seats')).body;

    assert.equal(result.status, 200);
    assert.equal(result.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.equal(result.headers.get('content-disposition'), 'attachment; filename="tessera-seats.csv"');
    assert.equal(
      result.text,
      [
        'instance,instanceName,profile,licensedUsers,activeUsers,reportedVia,reportedAt,serviceAccounts,activeServiceAccounts,disabledServiceAccounts,serviceAccountSeats',
        `git,GIT,bitbucket,40,12,admin,${row(json, 'git').humans.reportedAt},0,0,0,0`,
        `jira,JIRA,jira,260,,product,${row(json, 'jira').humans.reportedAt},3,2,1,0`,
        `wiki,WIKI,confluence,90,,product,${row(json, 'wiki').humans.reportedAt},2,2,0,0`,
        '',
      ].join('\r\n'),
    );
  });

  it('rejects reports from outside the instance', async () => {
    const none = await reportSeats({ licensedUsers: 1 }, noGrants);
    const other = await reportSeats({ licensedUsers: 1, audience: 'https://wiki.example.com' });
    const wrongSecret = await reportSeats({ licensedUsers: 1 }, { ...wikiProduct, clientSecret: 'tss_wrong' });

    assert.equal(none.status, 403);
    assert.equal(none.body.error, 'access_denied');
    assert.equal(other.status, 403);
    assert.equal(other.body.error, 'access_denied');
    assert.equal(wrongSecret.status, 401);
    assert.equal(wrongSecret.body.error, 'invalid_client');
  });

  it('rejects malformed product reports', async () => {
    for (const body of [{}, { licensedUsers: -1 }, { licensedUsers: 1.5 }, { licensedUsers: '10' }, { licensedUsers: 10, seats: 3 }, { licensedUsers: 10, activeUsers: 11 }]) {
      const result = await reportSeats(body);
      assert.equal(result.status, 400, JSON.stringify(body));
      assert.equal(result.body.error, 'invalid_request', JSON.stringify(body));
    }
    assert.equal(row((await server.admin.get('/reports/seats')).body, 'jira').humans.licensedUsers, 260);
  });

  it('rejects bad admin input', async () => {
    assertProblem(await server.admin.put('/instances/nope/seats', { licensedUsers: 1 }), 404, 'not_found');
    assertProblem(await server.admin.put('/instances/git/seats', { licensedUsers: -1 }), 400, 'validation_failed', 'licensedUsers');
    assertProblem(await server.admin.put('/instances/git/seats', { licensedUsers: 5, activeUsers: 6 }), 400, 'validation_failed', 'activeUsers');
    assertProblem(await server.admin.put('/instances/git/seats', { licensedUsers: 5, source: 'x' }), 400, 'validation_failed', 'source');
    assertProblem(await server.admin.get('/reports/seats?format=xml'), 400, 'validation_failed', 'format');
  });

  it('drops the count with its instance', async () => {
    const temporary = await ensureInstance(server, 'temp', 'generic', 'https://temp.example.com');
    await server.admin.put('/instances/temp/seats', { licensedUsers: 3 });
    const deleted = await server.admin.delete(`/instances/${temporary.id}`);

    assert.equal(deleted.status, 204);
    assert.equal(row((await server.admin.get('/reports/seats')).body, 'temp'), undefined);
    assert.equal((await server.admin.get('/reports/seats')).body.totals.licensedUsers, 390);
  });
});
