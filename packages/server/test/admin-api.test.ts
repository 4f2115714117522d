import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type HttpResult, type TestServer, createAccount, ensureInstance, requestToken, startTestServer } from './support/server.js';
import { assertProblem } from './support/problem.js';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const DAY_MS = 24 * 60 * 60 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CLIENT_ID = /^tsc_[0-9A-Za-z]{22}$/;
const CLIENT_SECRET = /^tss_[0-9A-Za-z]{49}$/;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

describe('admin API', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira', 'jira', 'https://jira.example.com');
    await ensureInstance(server, 'wiki', 'confluence', 'https://wiki.example.com');
  });

  after(() => server.close());

  async function instanceSlugs(): Promise<string[]> {
    const result = await server.admin.get('/instances');
    assert.equal(result.status, 200, result.text);
    return result.body.items.map((instance: any) => instance.slug);
  }

  async function accountNames(): Promise<string[]> {
    const result = await server.admin.get('/service-accounts?limit=200');
    assert.equal(result.status, 200, result.text);
    return result.body.items.map((account: any) => account.name);
  }

  /** Sends a raw body to POST /service-accounts with the session cookie and CSRF token. */
  function postRaw(body: string, contentType = 'application/json'): Promise<HttpResult> {
    return server.admin.request('POST', '/service-accounts', body, { 'content-type': contentType });
  }

  describe('instances', () => {
    it('instance create returns 201', async () => {
      const result = await server.admin.post('/instances', { slug: 'tracker', name: 'Tracker', profile: 'generic', audience: 'https://Tracker.example.com/' });

      assert.equal(result.status, 201, result.text);
      assert.equal(result.headers.get('content-type'), JSON_CONTENT_TYPE);
      assert.match(result.body.id, UUID);
      assert.deepEqual(result.body, {
        id: result.body.id,
        slug: 'tracker',
        name: 'Tracker',
        profile: 'generic',
        audience: 'https://tracker.example.com',
        accessTokenLifetimeSeconds: null,
        tokenFormat: 'jwt',
        createdAt: iso(server.clock.now()),
        updatedAt: iso(server.clock.now()),
      });
    });

    it('instance list, get and update', async () => {
      const created = await server.admin.post('/instances', { slug: 'builds', name: 'Builds', profile: 'bamboo', audience: 'https://builds.example.com' });
      assert.equal(created.status, 201, created.text);

      const list = await server.admin.get('/instances');
      assert.equal(list.status, 200);
      assert.equal(list.body.nextCursor, null);
      assert.deepEqual(
        list.body.items.find((instance: any) => instance.slug === 'builds'),
        created.body,
      );

      assert.deepEqual((await server.admin.get('/instances/builds')).body, created.body);
      assert.deepEqual((await server.admin.get(`/instances/${created.body.id}`)).body, created.body);

      const updated = await server.admin.patch('/instances/builds', { name: 'Build Server', audience: 'https://ci.example.com', accessTokenLifetimeSeconds: 600 });
      assert.equal(updated.status, 200, updated.text);
      assert.equal(updated.body.name, 'Build Server');
      assert.equal(updated.body.audience, 'https://ci.example.com');
      assert.equal(updated.body.accessTokenLifetimeSeconds, 600);
      assert.equal(updated.body.slug, 'builds');
      assert.deepEqual((await server.admin.get('/instances/builds')).body, updated.body);

      const events = await server.admin.get(`/audit-events?action=instance.updated&target=${created.body.id}`);
      assert.equal(events.body.items.length, 1);
      assert.equal(events.body.items[0].details.before.name, 'Builds');
      assert.equal(events.body.items[0].details.after.name, 'Build Server');
      assert.equal(events.body.items[0].details.before.audience, 'https://builds.example.com');
      assert.equal(events.body.items[0].details.after.audience, 'https://ci.example.com');
    });

    it('instance delete then GET 404', async () => {
      await ensureInstance(server, 'scratch', 'generic', 'https://scratch.example.com');

      const deleted = await server.admin.delete('/instances/scratch');
      assert.equal(deleted.status, 204);
      assert.equal(deleted.text, '');

      assertProblem(await server.admin.get('/instances/scratch'), 404, 'not_found');
      assert.ok(!(await instanceSlugs()).includes('scratch'));
      assertProblem(await server.admin.delete('/instances/scratch'), 404, 'not_found');
    });

    it('duplicate slug returns 409', async () => {
      const before = await instanceSlugs();
      const result = await server.admin.post('/instances', { slug: 'jira', name: 'Second Jira', profile: 'jira', audience: 'https://jira2.example.com' });

      assertProblem(result, 409, 'slug_taken', 'slug');
      assert.deepEqual(await instanceSlugs(), before);
    });

    it('invalid instance fields return 400', async () => {
      const cases = [
        { body: { slug: 'Bad_Slug', name: 'Bad', profile: 'jira', audience: 'https://bad.example.com' }, field: 'slug' },
        { body: { slug: '-bad', name: 'Bad', profile: 'jira', audience: 'https://bad.example.com' }, field: 'slug' },
        { body: { slug: 'bad', name: 'Bad', profile: 'no-such-profile', audience: 'https://bad.example.com' }, field: 'profile' },
        { body: { slug: 'bad', name: 'Bad', profile: 'jira', audience: 'not a url' }, field: 'audience' },
        { body: { slug: 'bad', name: 'Bad', profile: 'jira', audience: 'ftp://bad.example.com' }, field: 'audience' },
        { body: { slug: 'bad', name: 'Bad', profile: 'jira', audience: 'https://bad.example.com?x=1' }, field: 'audience' },
        { body: { slug: 'bad', name: 'Bad', profile: 'jira' }, field: 'audience' },
        { body: { slug: 'bad', name: 'Bad', profile: 'jira', audience: 'https://bad.example.com', region: 'eu' }, field: 'region' },
      ];
      const before = await instanceSlugs();

      for (const { body, field } of cases) {
        const result = await server.admin.post('/instances', body);
        assertProblem(result, 400, 'validation_failed', field);
      }
      assert.deepEqual(await instanceSlugs(), before);
    });

    it('taken audience returns 409', async () => {
      const created = await server.admin.post('/instances', { slug: 'bad', name: 'Bad', profile: 'jira', audience: 'https://JIRA.example.com:443/' });
      assertProblem(created, 409, 'audience_taken', 'audience');

      const result = await server.admin.patch('/instances/wiki', { audience: 'https://jira.example.com' });
      assertProblem(result, 409, 'audience_taken', 'audience');
      assert.equal((await server.admin.get('/instances/wiki')).body.audience, 'https://wiki.example.com');
    });

    it('delete instance in use returns 409', async () => {
      await ensureInstance(server, 'in-use', 'jira', 'https://in-use.example.com');
      const account = await createAccount(server, { name: 'holds-in-use', access: [{ instance: 'in-use', scopes: ['READ'] }] });

      assertProblem(await server.admin.delete('/instances/in-use'), 409, 'instance_in_use');
      assert.equal((await server.admin.get('/instances/in-use')).status, 200);

      assert.equal((await server.admin.delete(`/service-accounts/${account.id}`)).status, 204);
      assert.equal((await server.admin.delete('/instances/in-use')).status, 204);
    });
  });

  describe('service accounts', () => {
    it('account create returns 201 with secret', async () => {
      const result = await server.admin.post('/service-accounts', {
        name: 'report-builder',
        description: 'Builds the weekly report',
        owner: 'data-team@example.com',
        access: [{ instance: 'jira', scopes: ['READ'], resources: { project: ['ABC', 'DEF'] } }],
        credential: { expiresInDays: 90 },
      });
      const now = server.clock.now();

      assert.equal(result.status, 201, result.text);
      assert.equal(result.headers.get('content-type'), JSON_CONTENT_TYPE);
      assert.match(result.body.id, UUID);
      assert.match(result.body.clientId, CLIENT_ID);
      assert.equal(result.body.name, 'report-builder');
      assert.equal(result.body.description, 'Builds the weekly report');
      assert.equal(result.body.owner, 'data-team@example.com');
      assert.equal(result.body.status, 'active');
      assert.equal(result.body.createdAt, iso(now));
      assert.equal(result.body.lastUsedAt, null);

      const jira = (await server.admin.get('/instances/jira')).body;
      assert.deepEqual(result.body.access, [{ instance: 'jira', instanceId: jira.id, scopes: ['READ'], resources: { project: ['ABC', 'DEF'] } }]);

      assert.match(result.body.credential.id, UUID);
      assert.match(result.body.credential.clientSecret, CLIENT_SECRET);
      assert.equal(result.body.credential.expiresAt, iso(now + 90 * DAY_MS));
    });

    it('account GET never shows secret', async () => {
      const account = await createAccount(server, { name: 'secret-keeper', access: [{ instance: 'wiki', scopes: ['READ'], resources: { space: '*' } }] });

      const single = await server.admin.get(`/service-accounts/${account.id}`);
      assert.equal(single.status, 200);
      assert.equal(single.body.clientId, account.clientId);
      assert.equal(single.body.credential, undefined);
      assert.ok(!single.text.includes(account.clientSecret));
      assert.ok(!single.text.includes('clientSecret'));

      const list = await server.admin.get('/service-accounts?search=secret-keeper');
      assert.equal(list.body.items.length, 1);
      assert.ok(!list.text.includes(account.clientSecret));

      const credentials = await server.admin.get(`/service-accounts/${account.id}/credentials`);
      assert.ok(!credentials.text.includes(account.clientSecret));

      const audit = await server.admin.get(`/audit-events?limit=200`);
      assert.ok(!audit.text.includes(account.clientSecret));
    });

    it('duplicate name returns 409', async () => {
      await createAccount(server, { name: 'twin' });
      const before = await accountNames();

      assertProblem(await server.admin.post('/service-accounts', { name: 'twin' }), 409, 'name_taken', 'name');
      assert.deepEqual(await accountNames(), before);
    });

    it('unknown field returns 400', async () => {
      const before = await accountNames();

      assertProblem(await server.admin.post('/service-accounts', { name: 'colourful', colour: 'red' }), 400, 'validation_failed', 'colour');
      assertProblem(
        await server.admin.post('/service-accounts', { name: 'colourful', access: [{ instance: 'jira', scopes: ['READ'], colour: 'red' }] }),
        400,
        'validation_failed',
        'access[0].colour',
      );
      assertProblem(await server.admin.post('/service-accounts', { name: 'colourful', credential: { lifetime: 3 } }), 400, 'validation_failed', 'credential.lifetime');
      assert.deepEqual(await accountNames(), before);
    });

    it('missing name returns 400', async () => {
      assertProblem(await server.admin.post('/service-accounts', { description: 'no name' }), 400, 'validation_failed', 'name');
    });

    it('duplicate JSON key returns 400', async () => {
      const before = await accountNames();

      assertProblem(await postRaw('{"name":"first","name":"second"}'), 400, 'validation_failed', 'name');
      assertProblem(await postRaw('{"name":"first","\\u006eame":"second"}'), 400, 'validation_failed', 'name');
      assertProblem(await postRaw('{"name":"first","credential":{"expiresInDays":5,"expiresInDays":6}}'), 400, 'validation_failed', 'credential.expiresInDays');
      assert.deepEqual(await accountNames(), before);
    });

    it('duplicate key in list item', async () => {
      const result = await postRaw('{"name":"first","access":[{"instance":"jira","instance":"wiki","scopes":["READ"]}]}');

      assertProblem(result, 400, 'validation_failed', 'access[0].instance');
    });

    it('non-object body returns 400', async () => {
      const before = await accountNames();

      assertProblem(await postRaw('[]'), 400, 'validation_failed');
      assertProblem(await postRaw('null'), 400, 'validation_failed');
      assert.deepEqual(await accountNames(), before);
    });

    it('invalid JSON returns 400', async () => {
      const before = await accountNames();

      assertProblem(await postRaw('{"name": "half'), 400, 'invalid_json');
      assertProblem(await postRaw(''), 400, 'invalid_json');
      assert.deepEqual(await accountNames(), before);
    });

    it('wrong content type returns 415', async () => {
      const before = await accountNames();

      assertProblem(await postRaw('{"name":"plain-text"}', 'text/plain'), 415, 'unsupported_media_type');
      assertProblem(await postRaw('name=form-post', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type');
      assert.deepEqual(await accountNames(), before);
    });

    it('body over 1 MiB returns 413', async () => {
      const before = await accountNames();
      const body = JSON.stringify({ name: 'too-big', description: 'x'.repeat(1024 * 1024) });

      assertProblem(await postRaw(body), 413, 'body_too_large');
      assert.deepEqual(await accountNames(), before);
    });

    it('invalid access grants return 400', async () => {
      const cases = [
        { access: [{ instance: 'no-such-instance', scopes: ['READ'] }], code: 'unknown_instance', field: 'access[0].instance' },
        { access: [{ instance: 'jira', scopes: ['READ', 'FLY'] }], code: 'unknown_scope', field: 'access[0].scopes[1]' },
        { access: [{ instance: 'jira', scopes: ['READ'], resources: { board: ['B1'] } }], code: 'unknown_resource_type', field: 'access[0].resources.board' },
        { access: [{ instance: 'jira', scopes: ['ADMIN'] }], code: 'admin_scope_not_allowed', field: 'access[0].scopes[0]' },
        { access: [{ instance: 'wiki', scopes: ['READ'], resources: { space: ['DOCS', '*'] } }], code: 'validation_failed', field: 'access[0].resources.space' },
        { access: [{ instance: 'jira', scopes: ['READ'], resources: { project: 'ABC' } }], code: 'validation_failed', field: 'access[0].resources.project' },
        { access: [{ instance: 'jira', scopes: [] }], code: 'validation_failed', field: 'access[0].scopes' },
        {
          access: [
            { instance: 'jira', scopes: ['READ'] },
            { instance: 'jira', scopes: ['WRITE'] },
          ],
          code: 'duplicate_grant',
          field: 'access[1].instance',
        },
        {
          access: [
            { instance: 'wiki', scopes: ['READ'] },
            { instance: 'jira', scopes: ['ADMIN'] },
          ],
          code: 'admin_scope_not_allowed',
          field: 'access[1].scopes[0]',
        },
      ];
      const before = await accountNames();

      for (const { access, code, field } of cases) {
        const result = await server.admin.post('/service-accounts', { name: 'bad-grant', access });
        assertProblem(result, 400, code, field);
      }
      assert.deepEqual(await accountNames(), before);
    });

    it('credential lifetime out of range', async () => {
      const before = await accountNames();

      assertProblem(await server.admin.post('/service-accounts', { name: 'forever', credential: { expiresInDays: 0 } }), 400, 'validation_failed', 'credential.expiresInDays');
      assertProblem(await server.admin.post('/service-accounts', { name: 'forever', credential: { expiresInDays: 3651 } }), 400, 'validation_failed', 'credential.expiresInDays');
      assert.deepEqual(await accountNames(), before);
    });

    it('unknown account returns 404', async () => {
      assertProblem(await server.admin.get('/service-accounts/no-such-account'), 404, 'not_found');
      assertProblem(await server.admin.patch('/service-accounts/no-such-account', { owner: 'x' }), 404, 'not_found');
      assertProblem(await server.admin.delete('/service-accounts/no-such-account'), 404, 'not_found');
    });

    it('unknown route returns 404', async () => {
      assertProblem(await server.admin.get('/no-such-route'), 404, 'route_not_found');
      assertProblem(await server.admin.post('/service-accounts/x/y/z', {}), 404, 'route_not_found');
    });

    it('unsupported method returns 404', async () => {
      const account = await createAccount(server, { name: 'put-target' });

      // The credentials collection takes GET and POST only.
      const result = await server.admin.request('PUT', `/service-accounts/${account.id}/credentials`, {});
      assertProblem(result, 404, 'route_not_found');
      assert.match(result.body.detail, /PUT \/api\/v1\/service-accounts\/[^ ]+\/credentials/);
    });

    it('PATCH updates and audits fields', async () => {
      await ensureInstance(server, 'repos', 'bitbucket', 'https://repos.example.com');
      const account = await createAccount(server, {
        name: 'deployer',
        description: 'Deploys services',
        owner: 'ops@example.com',
        access: [{ instance: 'jira', scopes: ['READ'], resources: { project: ['OPS'] } }],
      });

      const result = await server.admin.patch(`/service-accounts/${account.id}`, {
        name: 'release-deployer',
        description: 'Deploys releases',
        owner: 'release@example.com',
        status: 'disabled',
        access: [{ instance: 'repos', scopes: ['REPO_READ'], resources: { repository: '*' } }],
      });

      assert.equal(result.status, 200, result.text);
      assert.equal(result.body.name, 'release-deployer');
      assert.equal(result.body.description, 'Deploys releases');
      assert.equal(result.body.owner, 'release@example.com');
      assert.equal(result.body.status, 'disabled');
      assert.equal(result.body.clientId, account.clientId);
      assert.equal(result.body.access.length, 1);
      assert.equal(result.body.access[0].instance, 'repos');
      assert.deepEqual(result.body.access[0].scopes, ['REPO_READ']);
      assert.deepEqual(result.body.access[0].resources, { repository: '*' });
      assert.deepEqual((await server.admin.get(`/service-accounts/${account.id}`)).body, result.body);

      const events = await server.admin.get(`/audit-events?target=${account.id}&action=account.disabled`);
      assert.equal(events.body.items.length, 1);
      const { before, after } = events.body.items[0].details;
      assert.equal(before.name, 'deployer');
      assert.equal(after.name, 'release-deployer');
      assert.equal(before.description, 'Deploys services');
      assert.equal(after.description, 'Deploys releases');
      assert.equal(before.owner, 'ops@example.com');
      assert.equal(after.owner, 'release@example.com');
      assert.equal(before.status, 'active');
      assert.equal(after.status, 'disabled');
      assert.equal(before.access[0].instance, 'jira');
      assert.equal(after.access[0].instance, 'repos');
      assert.ok(!events.text.includes(account.clientSecret));
    });

    it('PATCH without status audits update', async () => {
      const account = await createAccount(server, { name: 'renamer' });

      const result = await server.admin.patch(`/service-accounts/${account.id}`, { description: 'Renames things' });
      assert.equal(result.status, 200, result.text);
      assert.equal(result.body.name, 'renamer');
      assert.equal(result.body.description, 'Renames things');

      const events = await server.admin.get(`/audit-events?target=${account.id}&action=account.updated`);
      assert.equal(events.body.items.length, 1);
      assert.equal(events.body.items[0].details.before.description, '');
      assert.equal(events.body.items[0].details.after.description, 'Renames things');
    });

    it('PATCH to taken name returns 409', async () => {
      await createAccount(server, { name: 'original-holder' });
      const account = await createAccount(server, { name: 'would-be-holder' });

      assertProblem(await server.admin.patch(`/service-accounts/${account.id}`, { name: 'original-holder' }), 409, 'name_taken', 'name');
      assert.equal((await server.admin.get(`/service-accounts/${account.id}`)).body.name, 'would-be-holder');
    });

    it('PATCH invalid grant changes nothing', async () => {
      const account = await createAccount(server, { name: 'steady', access: [{ instance: 'jira', scopes: ['READ'] }] });
      const before = (await server.admin.get(`/service-accounts/${account.id}`)).body;

      const result = await server.admin.patch(`/service-accounts/${account.id}`, { owner: 'someone-else', access: [{ instance: 'jira', scopes: ['ADMIN'] }] });
      assertProblem(result, 400, 'admin_scope_not_allowed', 'access[0].scopes[0]');
      assert.deepEqual((await server.admin.get(`/service-accounts/${account.id}`)).body, before);
    });

    it('PATCH empty body returns 400', async () => {
      const account = await createAccount(server, { name: 'empty-patch' });

      assertProblem(await server.admin.patch(`/service-accounts/${account.id}`, {}), 400, 'validation_failed');
    });

    it('PATCH unknown status returns 400', async () => {
      const account = await createAccount(server, { name: 'status-check' });

      const result = await server.admin.patch(`/service-accounts/${account.id}`, { status: 'paused' });
      assertProblem(result, 400, 'validation_failed', 'status');
    });

    it('PATCH status detail lists values', async () => {
      const account = await createAccount(server, { name: 'status-hint' });

      const result = await server.admin.patch(`/service-accounts/${account.id}`, { status: 'paused' });
      assert.match(result.body.detail, /active/);
      assert.match(result.body.detail, /disabled/);
    });

    it('DELETE then GET returns 404', async () => {
      const account = await createAccount(server, { name: 'short-lived' });

      const deleted = await server.admin.delete(`/service-accounts/${account.id}`);
      assert.equal(deleted.status, 204);
      assert.equal(deleted.text, '');

      assertProblem(await server.admin.get(`/service-accounts/${account.id}`), 404, 'not_found');
      assertProblem(await server.admin.get(`/service-accounts/${account.id}/credentials`), 404, 'not_found');
      assert.ok(!(await accountNames()).includes('short-lived'));

      const events = await server.admin.get(`/audit-events?target=${account.id}&action=account.deleted`);
      assert.equal(events.body.items.length, 1);
      assert.equal(events.body.items[0].details.before.name, 'short-lived');
    });

    it('deleted account gets no token', async () => {
      const account = await createAccount(server, { name: 'token-after-delete', access: [{ instance: 'jira', scopes: ['READ'] }] });
      assert.equal((await requestToken(server, account)).status, 200);

      assert.equal((await server.admin.delete(`/service-accounts/${account.id}`)).status, 204);
      const token = await requestToken(server, account);
      assert.equal(token.status, 401);
      assert.equal(token.body.error, 'invalid_client');
    });
  });

  describe('account list', () => {
    const names = ['pager-a', 'pager-b', 'pager-c', 'pager-d', 'pager-e'];
    const ids: Record<string, string> = {};

    before(async () => {
      await ensureInstance(server, 'paging-only', 'generic', 'https://paging-only.example.com');
      // Created out of order, so the list has to sort by name.
      for (const name of [...names].reverse()) {
        const access = name === 'pager-b' || name === 'pager-d' ? [{ instance: 'paging-only', scopes: ['READ'] }] : [];
        ids[name] = (await createAccount(server, { name, description: `Paging account ${name}`, access })).id;
      }
      const disabled = await server.admin.patch(`/service-accounts/${ids['pager-c']}`, { status: 'disabled' });
      assert.equal(disabled.status, 200, disabled.text);
    });

    it('cursor paging covers all pages', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;

      do {
        const query: string = `/service-accounts?search=pager-&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = await server.admin.get(query);
        assert.equal(page.status, 200, page.text);
        assert.ok(page.body.items.length <= 2);
        seen.push(...page.body.items.map((account: any) => account.name));
        cursor = page.body.nextCursor;
        pages += 1;
      } while (cursor !== null && pages < 10);

      assert.equal(pages, 3);
      assert.deepEqual(seen, names);
      assert.equal(new Set(seen).size, seen.length);
    });

    it('search matches description', async () => {
      const result = await server.admin.get('/service-accounts?search=Paging%20account%20pager-e');

      assert.deepEqual(
        result.body.items.map((account: any) => account.name),
        ['pager-e'],
      );
    });

    it('search matches client id', async () => {
      const account = await createAccount(server, { name: 'found-by-client-id' });

      const whole = await server.admin.get(`/service-accounts?search=${account.clientId}`);
      const fragment = await server.admin.get(`/service-accounts?search=${account.clientId.slice(6, 16)}`);

      assert.deepEqual(whole.body.items.map((item: any) => item.name), ['found-by-client-id']);
      assert.equal(whole.body.total, 1);
      assert.deepEqual(fragment.body.items.map((item: any) => item.name), ['found-by-client-id']);
    });

    it('search treats underscore literally', async () => {
      await createAccount(server, { name: 'etl_loader' });
      await createAccount(server, { name: 'etlXloader' });

      const result = await server.admin.get('/service-accounts?search=etl_');
      assert.deepEqual(
        result.body.items.map((account: any) => account.name),
        ['etl_loader'],
      );
    });

    it('status filter returns matches', async () => {
      const disabled = await server.admin.get('/service-accounts?search=pager-&status=disabled');
      assert.deepEqual(
        disabled.body.items.map((account: any) => account.name),
        ['pager-c'],
      );

      const active = await server.admin.get('/service-accounts?search=pager-&status=active');
      assert.deepEqual(
        active.body.items.map((account: any) => account.name),
        ['pager-a', 'pager-b', 'pager-d', 'pager-e'],
      );
    });

    it('instance filter returns grant holders', async () => {
      const bySlug = await server.admin.get('/service-accounts?instance=paging-only');
      assert.deepEqual(
        bySlug.body.items.map((account: any) => account.name),
        ['pager-b', 'pager-d'],
      );

      const instance = (await server.admin.get('/instances/paging-only')).body;
      const byId = await server.admin.get(`/service-accounts?instance=${instance.id}`);
      assert.deepEqual(byId.body.items, bySlug.body.items);
    });

    it('unknown instance filter returns 400', async () => {
      assertProblem(await server.admin.get('/service-accounts?instance=no-such-instance'), 400, 'validation_failed', 'instance');
    });

    it('invalid cursor returns 400', async () => {
      assertProblem(await server.admin.get('/service-accounts?cursor=not-a-cursor'), 400, 'invalid_cursor', 'cursor');
      const wrongShape = Buffer.from(JSON.stringify({ seq: 5 })).toString('base64url');
      assertProblem(await server.admin.get(`/service-accounts?cursor=${wrongShape}`), 400, 'invalid_cursor', 'cursor');
    });

    it('limit out of range returns 400', async () => {
      assertProblem(await server.admin.get('/service-accounts?limit=0'), 400, 'validation_failed', 'limit');
      assertProblem(await server.admin.get('/service-accounts?limit=201'), 400, 'validation_failed', 'limit');
      assertProblem(await server.admin.get('/service-accounts?limit=two'), 400, 'validation_failed', 'limit');
    });

    it('unknown query parameter returns 400', async () => {
      assertProblem(await server.admin.get('/service-accounts?order=name'), 400, 'validation_failed', 'order');
    });

    it('status filter rejects unknown value', async () => {
      assertProblem(await server.admin.get('/service-accounts?status=deleted'), 400, 'validation_failed', 'status');
    });
  });

  describe('credentials', () => {
    it('credential create returns secret once', async () => {
      const account = await createAccount(server, { name: 'two-keys' });

      const created = await server.admin.post(`/service-accounts/${account.id}/credentials`, { expiresInDays: 30 });
      assert.equal(created.status, 201, created.text);
      assert.match(created.body.id, UUID);
      assert.match(created.body.clientSecret, CLIENT_SECRET);
      assert.notEqual(created.body.clientSecret, account.clientSecret);
      assert.equal(created.body.status, 'active');
      assert.equal(created.body.createdAt, iso(server.clock.now()));
      assert.equal(created.body.expiresAt, iso(server.clock.now() + 30 * DAY_MS));
      assert.equal(created.body.revokedAt, null);
      assert.equal(created.body.lastUsedAt, null);

      const list = await server.admin.get(`/service-accounts/${account.id}/credentials`);
      assert.equal(list.status, 200);
      assert.equal(list.body.nextCursor, null);
      assert.deepEqual(list.body.items.map((credential: any) => credential.id).sort(), [account.credentialId, created.body.id].sort());
      assert.ok(!list.text.includes(account.clientSecret));
      assert.ok(!list.text.includes(created.body.clientSecret));
      assert.ok(!list.text.includes('clientSecret'));
    });

    it('credential revoke stops tokens', async () => {
      const account = await createAccount(server, { name: 'revoked-key', access: [{ instance: 'jira', scopes: ['READ'] }] });

      const revoked = await server.admin.delete(`/service-accounts/${account.id}/credentials/${account.credentialId}`);
      assert.equal(revoked.status, 200, revoked.text);
      assert.equal(revoked.body.id, account.credentialId);
      assert.equal(revoked.body.status, 'revoked');
      assert.equal(revoked.body.revokedAt, iso(server.clock.now()));
      assert.ok(!revoked.text.includes(account.clientSecret));

      const token = await requestToken(server, account);
      assert.equal(token.status, 401);
      assert.equal(token.body.error, 'invalid_client');

      const events = await server.admin.get(`/audit-events?target=${account.credentialId}&action=credential.revoked`);
      assert.equal(events.body.items.length, 1);
    });

    it('credential rotate keeps grace period', async () => {
      const account = await createAccount(server, { name: 'rotating', access: [{ instance: 'jira', scopes: ['READ'] }] });
      const now = server.clock.now();

      const rotated = await server.admin.post(`/service-accounts/${account.id}/credentials/${account.credentialId}/rotate`, { gracePeriodSeconds: 3600 });
      assert.equal(rotated.status, 201, rotated.text);
      assert.match(rotated.body.clientSecret, CLIENT_SECRET);
      assert.notEqual(rotated.body.id, account.credentialId);
      assert.equal(rotated.body.status, 'active');
      assert.equal(rotated.body.expiresAt, iso(now + 365 * DAY_MS));
      assert.equal(rotated.body.previous.id, account.credentialId);
      assert.equal(rotated.body.previous.status, 'active');
      assert.equal(rotated.body.previous.expiresAt, iso(now + 3600 * 1000));
      assert.ok(!rotated.text.includes(account.clientSecret));

      const newSecret = { clientId: account.clientId, clientSecret: rotated.body.clientSecret };
      assert.equal((await requestToken(server, account)).status, 200);
      assert.equal((await requestToken(server, newSecret)).status, 200);

      const events = await server.admin.get(`/audit-events?target=${account.credentialId}&action=credential.rotated`);
      assert.equal(events.body.items.length, 1);
      assert.equal(events.body.items[0].details.newCredentialId, rotated.body.id);
      assert.equal(events.body.items[0].details.gracePeriodSeconds, 3600);
      assert.ok(!events.text.includes(rotated.body.clientSecret));
    });

    it('rotated credential expires after grace', async () => {
      const account = await createAccount(server, { name: 'grace-ends', access: [{ instance: 'jira', scopes: ['READ'] }] });
      const rotated = await server.admin.post(`/service-accounts/${account.id}/credentials/${account.credentialId}/rotate`, { gracePeriodSeconds: 60 });
      assert.equal(rotated.status, 201, rotated.text);

      server.clock.advance(60_000);

      const list = await server.admin.get(`/service-accounts/${account.id}/credentials`);
      const old = list.body.items.find((credential: any) => credential.id === account.credentialId);
      assert.equal(old.status, 'expired');
      assert.equal((await requestToken(server, account)).status, 401);
      assert.equal((await requestToken(server, { clientId: account.clientId, clientSecret: rotated.body.clientSecret })).status, 200);
    });

    it('rotate revoked credential returns 409', async () => {
      const account = await createAccount(server, { name: 'rotate-revoked' });
      assert.equal((await server.admin.delete(`/service-accounts/${account.id}/credentials/${account.credentialId}`)).status, 200);

      const result = await server.admin.post(`/service-accounts/${account.id}/credentials/${account.credentialId}/rotate`, { gracePeriodSeconds: 60 });
      assertProblem(result, 409, 'credential_not_live');

      const list = await server.admin.get(`/service-accounts/${account.id}/credentials`);
      assert.equal(list.body.items.length, 1);
    });

    it('grace period out of range', async () => {
      const account = await createAccount(server, { name: 'grace-range' });
      const path = `/service-accounts/${account.id}/credentials/${account.credentialId}/rotate`;

      assertProblem(await server.admin.post(path, { gracePeriodSeconds: 604801 }), 400, 'validation_failed', 'gracePeriodSeconds');
      assertProblem(await server.admin.post(path, { gracePeriodSeconds: -1 }), 400, 'validation_failed', 'gracePeriodSeconds');
      assertProblem(await server.admin.post(path, { gracePeriodSeconds: 1.5 }), 400, 'validation_failed', 'gracePeriodSeconds');
      assertProblem(await server.admin.post(path, { gracePeriodSeconds: '60' }), 400, 'validation_failed', 'gracePeriodSeconds');

      const list = await server.admin.get(`/service-accounts/${account.id}/credentials`);
      assert.equal(list.body.items.length, 1);
      assert.equal(list.body.items[0].status, 'active');
    });

    it('unknown credential returns 404', async () => {
      const account = await createAccount(server, { name: 'no-such-key' });

      assertProblem(await server.admin.delete(`/service-accounts/${account.id}/credentials/no-such-credential`), 404, 'not_found');
      assertProblem(await server.admin.post(`/service-accounts/${account.id}/credentials/no-such-credential/rotate`, {}), 404, 'not_found');
    });
  });
});
