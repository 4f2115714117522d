import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseGrant } from '../src/cli/remote/accounts.js';
import { type CliServer, startCliServer } from './support/cli.js';
import { type CreatedAccount, type TestServer, createAccount } from './support/server.js';

describe('CLI grant syntax', () => {
  it('parses scopes and resources', () => {
    assert.deepEqual(parseGrant('jira:READ,WRITE:project=ABC,DEF'), { instance: 'jira', scopes: ['READ', 'WRITE'], resources: { project: ['ABC', 'DEF'] } });
    assert.deepEqual(parseGrant('bitbucket:REPO_READ:project=*;repository=core'), { instance: 'bitbucket', scopes: ['REPO_READ'], resources: { project: '*', repository: ['core'] } });
    assert.deepEqual(parseGrant('crowd:APPLICATION'), { instance: 'crowd', scopes: ['APPLICATION'], resources: {} });
  });

  it('keeps colons in scope names', () => {
    assert.deepEqual(parseGrant('tessera:admin:read'), { instance: 'tessera', scopes: ['admin:read'], resources: {} });
    assert.deepEqual(parseGrant('jira:read:issue,write:comment:project=ABC'), { instance: 'jira', scopes: ['read:issue', 'write:comment'], resources: { project: ['ABC'] } });
  });

  it('rejects malformed grants', () => {
    for (const spec of ['jira', ':READ', 'jira:', 'jira:project=ABC', 'jira:READ:project=', 'jira:READ:=ABC']) {
      assert.throws(() => parseGrant(spec), /--grant/, spec);
    }
  });
});

describe('tessera CLI commands', () => {
  let context: CliServer;
  let server: TestServer;
  let automation: CreatedAccount;
  let reader: CreatedAccount;
  let directory: string;
  let cli: CliServer['cli'];
  let json: CliServer['json'];

  before(async () => {
    context = await startCliServer();
    ({ server, automation, reader, directory, cli, json } = context);
  });

  after(() => context.close());

  it('instances create, list, update, delete', async () => {
    const created = await json(['instances', 'create', 'wiki', '--name', 'Wiki', '--profile', 'confluence', '--audience', 'https://wiki.example.com', '--token-lifetime', '600']);
    assert.equal(created.slug, 'wiki');
    assert.equal(created.profile, 'confluence');
    assert.equal(created.accessTokenLifetimeSeconds, 600);

    const listed = await json(['instances', 'list']);
    assert.deepEqual(listed.items.map((instance: any) => instance.slug).sort(), ['jira', 'tessera', 'wiki']);

    const table = await cli(['instances', 'list']);
    assert.equal(table.status, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0], /^SLUG\s+NAME\s+PROFILE\s+AUDIENCE\s+ID$/);
    assert.ok(lines.some((line) => /^wiki\s+Wiki\s+confluence\s+https:\/\/wiki\.example\.com\s+/.test(line)), table.stdout);

    const updated = await json(['instances', 'update', 'wiki', '--name', 'Team wiki']);
    assert.equal(updated.name, 'Team wiki');

    assert.deepEqual(await json(['instances', 'delete', 'wiki']), { deleted: 'wiki' });
    assert.equal((await server.admin.get('/instances/wiki')).status, 404);
  });

  it('accounts lifecycle with --json', async () => {
    const created = await json(['accounts', 'create', 'nightly-export', '--description', 'Exports issues', '--owner', 'data-team', '--grant', 'jira:READ:project=ABC,DEF', '--grant', 'tessera:admin:read', '--expires-in-days', '30']);
    assert.equal(created.name, 'nightly-export');
    assert.deepEqual(created.access.map((grant: any) => [grant.instance, grant.scopes, grant.resources]).sort(), [['jira', ['READ'], { project: ['ABC', 'DEF'] }], ['tessera', ['admin:read'], {}]]);
    assert.match(created.credential.clientSecret, /^\S{40,}$/);

    const listed = await json(['accounts', 'list', '--search', 'nightly']);
    assert.deepEqual(listed.items.map((account: any) => account.id), [created.id]);

    const byName = await json(['accounts', 'get', 'nightly-export']);
    const byClientId = await json(['accounts', 'get', created.clientId]);
    assert.equal(byName.id, created.id);
    assert.equal(byClientId.id, created.id);

    const updated = await json(['accounts', 'update', 'nightly-export', '--description', 'Exports issues nightly', '--grant', 'jira:WRITE:project=*']);
    assert.equal(updated.description, 'Exports issues nightly');
    assert.deepEqual(updated.access[0].resources, { project: '*' });

    const withoutAccess = await json(['accounts', 'update', 'nightly-export', '--no-access']);
    assert.deepEqual(withoutAccess.access, []);
    assert.equal(withoutAccess.description, 'Exports issues nightly');

    assert.equal((await json(['accounts', 'disable', created.id])).status, 'disabled');
    assert.equal((await json(['accounts', 'enable', created.id])).status, 'active');

    assert.deepEqual(await json(['accounts', 'delete', 'nightly-export']), { deleted: created.id });
    assert.equal((await server.admin.get(`/service-accounts/${created.id}`)).status, 404);
  });

  it('accounts list prints a table', async () => {
    const result = await cli(['accounts', 'list']);

    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.match(lines[0], /^NAME\s+STATUS\s+CLIENT ID\s+ACCESS\s+LAST USED\s+ID$/);
    assert.ok(lines.some((line) => line.startsWith('reader ') && line.includes('tessera:admin:read') && line.includes(reader.clientId)), result.stdout);
  });

  it('accounts create prints the secret once', async () => {
    const result = await cli(['accounts', 'create', 'table-created']);

    assert.equal(result.status, 0, result.stderr);
    const secret = /^client secret: (\S+)$/m.exec(result.stdout);
    assert.ok(secret, result.stdout);
    assert.match(result.stdout, /shows it only once/);
    const account = await server.admin.get('/service-accounts?search=table-created');
    assert.ok(!JSON.stringify(account.body).includes(secret[1]));
  });

  it('credentials create, list, rotate, revoke', async () => {
    const account = await createAccount(server, { name: 'rotating', access: [{ instance: 'jira', scopes: ['READ'], resources: { project: ['ABC'] } }] });

    const created = await json(['credentials', 'create', 'rotating', '--expires-in-days', '10']);
    assert.equal(created.status, 'active');
    assert.equal(typeof created.clientSecret, 'string');

    const listed = await json(['credentials', 'list', 'rotating']);
    assert.deepEqual(listed.items.map((credential: any) => credential.id).sort(), [account.credentialId, created.id].sort());
    assert.ok(!JSON.stringify(listed).includes(created.clientSecret));

    const rotated = await json(['credentials', 'rotate', 'rotating', created.id, '--grace-period', '60']);
    assert.equal(rotated.previous.id, created.id);
    assert.equal(rotated.previous.expiresAt, new Date(server.clock.now() + 60_000).toISOString());
    assert.notEqual(rotated.clientSecret, created.clientSecret);

    const revoked = await json(['credentials', 'revoke', account.id, account.credentialId]);
    assert.equal(revoked.status, 'revoked');

    const table = await cli(['credentials', 'list', 'rotating']);
    assert.match(table.stdout.split('\n')[0], /^ID\s+STATUS\s+CREATED\s+EXPIRES\s+LAST USED\s+REPLACED BY$/);
    assert.match(table.stdout, new RegExp(`^${account.credentialId}\\s+revoked`, 'm'));
  });

  it('policy get and set', async () => {
    const current = await json(['policy', 'get']);
    assert.equal(current.scopes.adminScopesAllowed, true);

    const file = join(directory, 'policy.json');
    writeFileSync(file, JSON.stringify({ ...current, credentials: { ...current.credentials, maxLifetimeDays: 90 } }));
    const updated = await json(['policy', 'set', '-f', file]);

    assert.equal(updated.credentials.maxLifetimeDays, 90);
    assert.equal(updated.scopes.adminScopesAllowed, true);
    assert.equal(updated.updatedBy, automation.id);
    assert.equal((await server.admin.get('/policy')).body.credentials.maxLifetimeDays, 90);
  });

  it('policy set rejects a bad file', async () => {
    const file = join(directory, 'broken.json');
    writeFileSync(file, '{ "credentials": ');

    const broken = await cli(['policy', 'set', '-f', file]);
    const missing = await cli(['policy', 'set', '-f', join(directory, 'absent.json')]);

    assert.equal(broken.status, 2);
    assert.match(broken.stderr, /^error: .*broken\.json is not valid JSON/);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^error: cannot read .*absent\.json \(ENOENT\)/);
  });

  it('audit search names the service account', async () => {
    await json(['instances', 'create', 'audited', '--name', 'Audited', '--profile', 'generic', '--audience', 'https://audited.example.com']);
    const page = await json(['audit', 'search', '--action', 'instance.created', '--limit', '1']);

    assert.equal(page.items.length, 1);
    assert.equal(page.items[0].target.name, 'audited');
    assert.deepEqual(page.items[0].actor, { type: 'service_account', id: automation.id, name: 'automation', credentialId: automation.credentialId });

    const table = await cli(['audit', 'search', '--action', 'instance.created', '--limit', '1']);
    assert.match(table.stdout.split('\n')[0], /^ID\s+TIME\s+ACTOR\s+ACTION\s+TARGET\s+OUTCOME$/);
    assert.match(table.stdout.split('\n')[1], /service_account:automation\s+instance\.created\s+instance:audited\s+success/);
  });

  it('audit export writes jsonl and csv', async () => {
    const expected = (await server.admin.get('/audit-events?action=instance.*&limit=200')).body.items.length;
    const jsonl = join(directory, 'events.jsonl');
    const csv = join(directory, 'events.csv');

    const jsonlResult = await cli(['audit', 'export', '--action', 'instance.*', '--format', 'jsonl', '-o', jsonl, '--json']);
    const csvResult = await cli(['audit', 'export', '--action', 'instance.*', '--format', 'csv', '-o', csv]);

    assert.equal(jsonlResult.status, 0, jsonlResult.stderr);
    const lines = readFileSync(jsonl, 'utf8').trim().split('\n');
    assert.equal(lines.length, expected);
    assert.ok(lines.every((line) => JSON.parse(line).action.startsWith('instance.')));
    const summary = JSON.parse(jsonlResult.stdout);
    assert.equal(summary.lines, expected);
    assert.equal(summary.bytes, readFileSync(jsonl).length);

    assert.equal(csvResult.status, 0, csvResult.stderr);
    assert.equal(readFileSync(csv, 'utf8').trim().split('\r\n').length, expected + 1);
    assert.match(csvResult.stdout, new RegExp(`^Wrote ${expected + 1} lines \\(\\d+ bytes\\) of csv to .*events\\.csv\\.$`, 'm'));
  });

  it('keys list and rotate', async () => {
    const before = await json(['keys', 'list']);
    const rotated = await json(['keys', 'rotate', '--activate-in', '3600']);
    const afterRotation = await json(['keys', 'list']);

    assert.equal(rotated.state, 'published');
    assert.equal(afterRotation.items.length, before.items.length + 1);
    assert.ok(afterRotation.items.some((key: any) => key.kid === rotated.kid));
    assert.ok(!JSON.stringify(afterRotation).includes('"d"'));
  });
});
