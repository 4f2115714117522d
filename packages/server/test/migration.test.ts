import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hash } from '@node-rs/argon2';
import { after, before, describe, it } from 'node:test';
import { parseCsv } from '../src/migration/csv.js';
import { assertProblem } from './support/problem.js';
import { AdminClient, type TestServer, createAccount, ensureInstance, queryDatabase, requestToken, startTestServer } from './support/server.js';

const JSON_EXPORT = JSON.parse(readFileSync(new URL('./fixtures/human-accounts.json', import.meta.url), 'utf8'));
const CSV_EXPORT = readFileSync(new URL('./fixtures/human-accounts.csv', import.meta.url), 'utf8');

/** Writes a proposal's grants as "instance:SCOPE type=id,id", grants joined by " | ", for a compact table. */
function accessLine(access: Array<{ instance: string; scopes: string[]; resources: Record<string, string[] | '*'> }>): string {
  return access
    .map((grant) => {
      const resources = Object.entries(grant.resources)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([type, ids]) => `${type}=${ids === '*' ? '*' : ids.join(',')}`);
      return [`${grant.instance}:${grant.scopes.join(',')}`, ...resources].join(' ');
    })
    .join(' | ');
}

// Every human account of the fixture: proposed name, owner, grants and problem codes.
const EXPECTED: Array<[source: string, name: string, owner: string, access: string, problems: string]> = [
  ['report-bot-01', 'svc-report-bot-01', 'analytics@example.com', 'jira:READ project=DEF,OPS', ''],
  ['report-bot-02', 'svc-report-bot-02', 'report-bot-02@example.com', 'jira:READ project=OPS,SEC,WEB', ''],
  ['report-bot-03', 'svc-report-bot-03', 'report-bot-03@example.com', 'jira:READ project=SEC', ''],
  ['report-bot-04', 'svc-report-bot-04', 'report-bot-04@example.com', 'jira:READ project=WEB', ''],
  ['report-bot-05', 'svc-report-bot-05', 'report-bot-05@example.com', 'jira:READ project=ABC,DEF,OPS', ''],
  ['report-bot-06', 'svc-report-bot-06', 'report-bot-06@example.com', 'jira:READ project=DEF', ''],
  ['report-bot-07', 'svc-report-bot-07', 'report-bot-07@example.com', 'jira:READ project=OPS,SEC', ''],
  ['report-bot-08', 'svc-report-bot-08', 'report-bot-08@example.com', 'jira:READ project=SEC,WEB', ''],
  ['report-bot-09', 'svc-report-bot-09', 'report-bot-09@example.com', 'jira:READ project=WEB', ''],
  ['report-bot-10', 'svc-report-bot-10', 'report-bot-10@example.com', 'jira:READ project=ABC,DEF', ''],
  ['report-bot-11', 'svc-report-bot-11', 'report-bot-11@example.com', 'jira:READ project=DEF,OPS,SEC', ''],
  ['report-bot-12', 'svc-report-bot-12', 'report-bot-12@example.com', 'jira:READ project=OPS', ''],
  ['report-bot-13', 'svc-report-bot-13', 'report-bot-13@example.com', 'jira:READ project=SEC,WEB', ''],
  ['report-bot-14', 'svc-report-bot-14', 'report-bot-14@example.com', 'jira:READ project=WEB', ''],
  ['report-bot-15', 'svc-report-bot-15', 'report-bot-15@example.com', 'jira:READ project=ABC', ''],
  ['sync-writer-01', 'svc-sync-writer-01', 'sync-writer-01@example.com', 'jira:WRITE project=DEF,SEC', ''],
  ['sync-writer-02', 'svc-sync-writer-02', 'sync-writer-02@example.com', 'jira:WRITE project=OPS,WEB', ''],
  ['sync-writer-03', 'svc-sync-writer-03', 'sync-writer-03@example.com', 'jira:WRITE project=ABC,SEC', ''],
  ['sync-writer-04', 'svc-sync-writer-04', 'sync-writer-04@example.com', 'jira:WRITE project=DEF,WEB', ''],
  ['sync-writer-05', 'svc-sync-writer-05', 'sync-writer-05@example.com', 'jira:WRITE project=ABC,OPS', ''],
  ['sync-writer-06', 'svc-sync-writer-06', 'sync-writer-06@example.com', 'jira:WRITE project=DEF,SEC', ''],
  ['sync-writer-07', 'svc-sync-writer-07', 'sync-writer-07@example.com', 'jira:WRITE project=OPS,WEB', ''],
  ['sync-writer-08', 'svc-sync-writer-08', 'sync-writer-08@example.com', 'jira:WRITE project=ABC,SEC', ''],
  ['sync-writer-09', 'svc-sync-writer-09', 'sync-writer-09@example.com', 'jira:WRITE project=DEF,WEB', ''],
  ['sync-writer-10', 'svc-sync-writer-10', 'sync-writer-10@example.com', 'jira:WRITE project=ABC,OPS', ''],
  ['wiki-bot-1', 'svc-wiki-bot-1', 'wiki-bot-1@example.com', 'wiki:READ space=ENG,HR', ''],
  ['wiki-bot-2', 'svc-wiki-bot-2', 'wiki-bot-2@example.com', 'wiki:WRITE space=HR,OPS', ''],
  ['wiki-bot-3', 'svc-wiki-bot-3', 'wiki-bot-3@example.com', 'wiki:READ space=DOCS,OPS', ''],
  ['wiki-bot-4', 'svc-wiki-bot-4', 'wiki-bot-4@example.com', 'wiki:WRITE space=DOCS,ENG', ''],
  ['wiki-bot-5', 'svc-wiki-bot-5', 'wiki-bot-5@example.com', 'wiki:READ space=ENG,HR', ''],
  ['wiki-bot-6', 'svc-wiki-bot-6', 'wiki-bot-6@example.com', 'wiki:WRITE space=HR,OPS', ''],
  ['wiki-bot-7', 'svc-wiki-bot-7', 'wiki-bot-7@example.com', 'wiki:READ space=DOCS,OPS', ''],
  ['git-bot-1', 'svc-git-bot-1', 'team-ci@example.com', 'bitbucket:REPO_WRITE repository=PLAT/service-1,PLAT/shared-lib', ''],
  ['git-bot-2', 'svc-git-bot-2', 'team-ci@example.com', 'bitbucket:REPO_READ repository=PLAT/service-2,PLAT/shared-lib', ''],
  ['git-bot-3', 'svc-git-bot-3', 'team-ci@example.com', 'bitbucket:REPO_WRITE repository=PLAT/service-3,PLAT/shared-lib', ''],
  ['git-bot-4', 'svc-git-bot-4', 'team-ci@example.com', 'bitbucket:REPO_READ project=PLAT repository=PLAT/service-4,PLAT/shared-lib', ''],
  ['git-bot-5', 'svc-git-bot-5', 'team-ci@example.com', 'bitbucket:REPO_WRITE repository=PLAT/service-5,PLAT/shared-lib', ''],
  ['git-bot-6', 'svc-git-bot-6', 'team-ci@example.com', 'bitbucket:REPO_READ repository=PLAT/service-6,PLAT/shared-lib', ''],
  ['git-bot-7', 'svc-git-bot-7', 'team-ci@example.com', 'bitbucket:REPO_WRITE repository=PLAT/service-7,PLAT/shared-lib', ''],
  ['git-bot-8', 'svc-git-bot-8', 'team-ci@example.com', 'bitbucket:REPO_READ project=PLAT repository=PLAT/service-8,PLAT/shared-lib', ''],
  ['build-bot-1', 'svc-build-bot-1', 'team-ci@example.com', 'bamboo:READ deployment-project=DEPLOY project=BLD1', ''],
  ['build-bot-2', 'svc-build-bot-2', 'team-ci@example.com', 'bamboo:READ deployment-project=DEPLOY project=BLD2', ''],
  ['build-bot-3', 'svc-build-bot-3', 'team-ci@example.com', 'bamboo:WRITE deployment-project=DEPLOY project=BLD3', ''],
  ['Nightly Build Bot', 'svc-nightly-build-bot', 'team-ci@example.com', 'bamboo:WRITE deployment-project=DEPLOY project=BLD4', ''],
  ['jira-admin-bot', 'svc-jira-admin-bot', 'platform-team', 'jira:ADMIN project=ABC,DEF', 'admin_scope_not_allowed'],
  ['legacy-bot', 'svc-legacy-bot', 'legacy@example.com', '', 'unknown_instance'],
  ['release-bot', 'svc-release-bot', 'team-ci@example.com', 'jira:WRITE project=REL | wiki:WRITE space=REL | bitbucket:REPO_READ repository=PLAT/release-notes', ''],
  ['search-indexer', 'svc-search-indexer', 'indexer@example.com', 'jira:READ project=*', ''],
  ['bamboo-admin-bot', 'svc-bamboo-admin-bot', 'bamboo-admin@example.com', 'bamboo:WRITE project=BLD1', 'no_matching_scope'],
  ['mixed-bot', 'svc-mixed-bot', 'mixed@example.com', 'jira:READ project=WEB', 'unknown_resource_type'],
];

function proposalTable(items: any[]) {
  return items.map((item) => [item.source.name, item.proposal.name, item.proposal.owner, accessLine(item.proposal.access), item.problems.map((problem: any) => problem.code).join(',')]);
}

function uploadCsv(server: TestServer, text: string) {
  return server.admin.request('POST', '/migrations/imports', text, { 'content-type': 'text/csv' });
}

describe('migration import', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira', 'jira');
    await ensureInstance(server, 'wiki', 'confluence');
    await ensureInstance(server, 'bitbucket', 'bitbucket');
    await ensureInstance(server, 'bamboo', 'bamboo');
  });

  after(() => server.close());

  it('proposes the narrowest grants from JSON', async () => {
    const result = await server.admin.post('/migrations/imports', JSON_EXPORT);

    assert.equal(result.status, 201, result.text);
    assert.equal(result.body.format, 'json');
    assert.equal(result.body.accountCount, 50);
    assert.deepEqual(result.body.proposals, { pending: 50, accepted: 0, rejected: 0 });
    assert.deepEqual(proposalTable(result.body.items), EXPECTED);
    assert.ok(result.body.items.every((item: any) => item.status === 'pending' && item.accountId === null));
  });

  it('proposes the same from CSV', async () => {
    const result = await uploadCsv(server, CSV_EXPORT);

    assert.equal(result.status, 201, result.text);
    assert.equal(result.body.format, 'csv');
    // The JSON import above did not create accounts, so names are still free.
    assert.deepEqual(proposalTable(result.body.items), EXPECTED);
    const nightly = result.body.items.find((item: any) => item.source.name === 'Nightly Build Bot');
    assert.deepEqual(nightly.source.groups, ['bamboo-users', 'ci', 'nightly, weekend']);
  });

  it('describes the source in the proposal', async () => {
    const result = await server.admin.post('/migrations/imports', { accounts: [JSON_EXPORT.accounts[45]] });
    const [item] = result.body.items;

    assert.equal(result.status, 201);
    assert.deepEqual(item.proposal, {
      name: 'svc-legacy-bot',
      description: 'Migrated from the human account "legacy-bot" (legacy@example.com). Groups: legacy.',
      owner: 'legacy@example.com',
      purpose: 'Migrated from human account legacy-bot',
      access: [],
    });
    assert.deepEqual(item.problems, [
      { code: 'unknown_instance', instance: 'old-jira', message: 'Instance "old-jira" does not exist in Tessera, so its access is left out; create the instance and import again, or accept without it.' },
    ]);
  });

  it('explains the admin scope problem', async () => {
    const result = await server.admin.post('/migrations/imports', { accounts: [JSON_EXPORT.accounts[44]] });
    const [problem] = result.body.items[0].problems;

    assert.equal(problem.code, 'admin_scope_not_allowed');
    assert.equal(problem.instance, 'jira');
    assert.match(problem.message, /^access\[0\]\.scopes\[0\] "ADMIN" is an admin-level scope/);
  });

  it('writes one audit event per import', async () => {
    const events = await server.admin.get('/audit-events?action=migration.imported&limit=1');
    const [event] = events.body.items;

    assert.equal(event.outcome, 'success');
    assert.equal(event.target.type, 'migration_import');
    assert.deepEqual(event.details, { format: 'json', accounts: 1, withProblems: 1 });
  });

  it('proposes ADMIN cleanly after the opt-in', async () => {
    assert.equal((await server.admin.put('/policy', { scopes: { adminScopesAllowed: true } })).status, 200);
    const result = await server.admin.post('/migrations/imports', { accounts: [JSON_EXPORT.accounts[44]] });
    assert.equal((await server.admin.put('/policy', {})).status, 200);

    assert.equal(accessLine(result.body.items[0].proposal.access), 'jira:ADMIN project=ABC,DEF');
    assert.deepEqual(result.body.items[0].problems, []);
  });

  it('lists imports newest first', async () => {
    server.clock.advance(60_000);
    const newest = await server.admin.post('/migrations/imports', { accounts: JSON_EXPORT.accounts.slice(0, 2) });
    const result = await server.admin.get('/migrations/imports');

    assert.equal(result.status, 200);
    assert.equal(result.body.items.length, 6);
    assert.deepEqual(result.body.items[0], { id: newest.body.id, format: 'json', accountCount: 2, createdAt: new Date(server.clock.now()).toISOString(), createdBy: newest.body.createdBy, proposals: { pending: 2, accepted: 0, rejected: 0 } });
    assert.deepEqual(result.body.items.map((item: any) => item.accountCount).sort(), [1, 1, 1, 2, 50, 50]);
    assert.equal(result.body.nextCursor, null);
  });

  it('reports an unknown profile', async () => {
    // The API accepts only known profiles, so the row stands for one whose profile this server version lacks.
    await queryDatabase(server, `insert into instances (id, slug, name, profile, audience, access_token_lifetime_seconds, token_format, created_at, updated_at) values ('custom-1', 'crm', 'CRM', 'crm-profile', 'https://crm.example.com', null, 'jwt', 0, 0)`);
    const result = await server.admin.post('/migrations/imports', { accounts: [{ name: 'crm-bot', email: 'crm@example.com', access: [{ instance: 'crm', resources: { C1: 'read' } }] }] });
    const [item] = result.body.items;

    assert.equal(result.status, 201, result.text);
    assert.deepEqual(item.proposal.access, []);
    assert.deepEqual(item.problems, [{ code: 'unknown_profile', instance: 'crm', message: 'Instance "crm" uses the profile "crm-profile", which this server does not know, so its access is left out.' }]);
  });

  it('suffixes a name that is taken', async () => {
    await createAccount(server, { name: 'svc-wiki-bot-1' });
    const result = await server.admin.post('/migrations/imports', { accounts: [JSON_EXPORT.accounts[25]] });
    const [item] = result.body.items;

    assert.equal(item.proposal.name, 'svc-wiki-bot-1-2');
    assert.deepEqual(item.problems.map((problem: any) => problem.code), ['name_taken']);
  });
});

describe('migration decisions', () => {
  let server: TestServer;
  let importId: string;
  let items: any[];

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira', 'jira', 'https://jira.example.com');
    await ensureInstance(server, 'wiki', 'confluence', 'https://wiki.example.com');
    await ensureInstance(server, 'bitbucket', 'bitbucket', 'https://git.example.com');
    await ensureInstance(server, 'bamboo', 'bamboo', 'https://bamboo.example.com');
    const result = await server.admin.post('/migrations/imports', JSON_EXPORT);
    importId = result.body.id;
    items = result.body.items;
  });

  after(() => server.close());

  const proposalOf = (source: string) => items.find((item) => item.source.name === source);
  const decide = (source: string, verdict: 'accept' | 'reject', body: unknown = {}) => server.admin.post(`/migrations/imports/${importId}/proposals/${proposalOf(source).id}/${verdict}`, body);

  it('accepts into a working account', async () => {
    const result = await decide('sync-writer-01', 'accept');

    assert.equal(result.status, 201, result.text);
    assert.equal(result.body.proposal.status, 'accepted');
    assert.equal(result.body.proposal.accountId, result.body.account.id);
    assert.equal(result.body.account.name, 'svc-sync-writer-01');
    assert.equal(result.body.account.owner, 'sync-writer-01@example.com');
    assert.equal(result.body.account.purpose, 'Migrated from human account sync-writer-01');
    assert.deepEqual(result.body.account.access, [{ instance: 'jira', instanceId: result.body.account.access[0].instanceId, scopes: ['WRITE'], resources: { project: ['DEF', 'SEC'] } }]);
    assert.match(result.body.account.credential.clientSecret, /^tss_/);

    const token = await requestToken(server, { clientId: result.body.account.clientId, clientSecret: result.body.account.credential.clientSecret });
    const claims = JSON.parse(Buffer.from(token.body.access_token.split('.')[1], 'base64url').toString());
    assert.equal(token.status, 200, token.text);
    assert.equal(claims.scope, 'WRITE');
    assert.equal(claims.aud, 'https://jira.example.com');
    assert.deepEqual(claims.resources, { project: ['DEF', 'SEC'] });
  });

  it('records the mapping', async () => {
    const accepted = proposalOf('sync-writer-01');
    const rows = await queryDatabase(server, `select source_name, source_email, account_id from migration_mappings where proposal_id = '${accepted.id}'`);
    const view = await server.admin.get(`/migrations/imports/${importId}`);
    const decided = view.body.items.find((item: any) => item.id === accepted.id);

    assert.deepEqual(rows, [{ source_name: 'sync-writer-01', source_email: 'sync-writer-01@example.com', account_id: decided.accountId }]);
    assert.deepEqual(view.body.proposals, { pending: 49, accepted: 1, rejected: 0 });
  });

  it('rejects a second accept', async () => {
    const result = await decide('sync-writer-01', 'accept');

    assertProblem(result, 409, 'proposal_decided');
    assert.equal((await server.admin.get('/service-accounts?search=svc-sync-writer-01')).body.total, 1);
  });

  it('rejects a proposal', async () => {
    const result = await decide('report-bot-02', 'reject', { reason: 'bot retired' });

    assert.equal(result.status, 200, result.text);
    assert.equal(result.body.status, 'rejected');
    assert.equal(result.body.accountId, null);
    assertProblem(await decide('report-bot-02', 'accept'), 409, 'proposal_decided');
    assertProblem(await decide('report-bot-02', 'reject'), 409, 'proposal_decided');
    const [event] = (await server.admin.get('/audit-events?action=migration.proposal_rejected&limit=1')).body.items;
    assert.equal(event.details.reason, 'bot retired');
  });

  it('rejects the admin scope without opt-in', async () => {
    const result = await decide('jira-admin-bot', 'accept');

    assertProblem(result, 400, 'admin_scope_not_allowed', 'access[0].scopes[0]');
    const view = await server.admin.get(`/migrations/imports/${importId}`);
    assert.equal(view.body.items.find((item: any) => item.source.name === 'jira-admin-bot').status, 'pending');
  });

  it('accepts with narrowed scopes and a new name', async () => {
    const result = await decide('jira-admin-bot', 'accept', { name: 'jira-sync', access: [{ instance: 'jira', scopes: ['WRITE'] }], credential: { expiresInDays: 30 } });

    assert.equal(result.status, 201, result.text);
    assert.equal(result.body.account.name, 'jira-sync');
    assert.equal(result.body.account.owner, 'platform-team');
    assert.deepEqual(result.body.account.access[0].scopes, ['WRITE']);
    assert.deepEqual(result.body.account.access[0].resources, { project: ['ABC', 'DEF'] });
    assert.equal(result.body.account.credential.expiresAt, new Date(server.clock.now() + 30 * 86_400_000).toISOString());
  });

  it('rejects edits that widen', async () => {
    assertProblem(await decide('report-bot-03', 'accept', { access: [{ instance: 'jira', scopes: ['WRITE'] }] }), 400, 'validation_failed', 'access[0].scopes[0]');
    assertProblem(await decide('report-bot-03', 'accept', { access: [{ instance: 'wiki', scopes: ['READ'] }] }), 400, 'validation_failed', 'access[0].instance');
    assertProblem(await decide('report-bot-03', 'accept', { status: 'active' }), 400, 'validation_failed', 'status');
  });

  it('narrows to a granular scope', async () => {
    const result = await decide('report-bot-03', 'accept', { access: [{ instance: 'jira', scopes: ['read:issue'] }] });

    assert.equal(result.status, 201, result.text);
    assert.deepEqual(result.body.account.access[0].scopes, ['read:issue']);
  });

  it('rejects a taken name on accept', async () => {
    const result = await decide('report-bot-04', 'accept', { name: 'svc-sync-writer-01' });

    assertProblem(result, 409, 'name_taken', 'name');
  });

  it('accepts a proposal without its unknown instance', async () => {
    const result = await decide('legacy-bot', 'accept');

    assert.equal(result.status, 201, result.text);
    assert.deepEqual(result.body.account.access, []);
  });

  it('audits the acceptance without the secret', async () => {
    const accepted = await decide('release-bot', 'accept');
    const events = (await server.admin.get(`/audit-events?limit=10`)).body.items;
    const actions = events.slice(0, 3).map((event: any) => event.action).sort();

    assert.equal(accepted.status, 201);
    assert.deepEqual(actions, ['account.created', 'credential.created', 'migration.proposal_accepted']);
    assert.ok(!JSON.stringify(events).includes(accepted.body.account.credential.clientSecret));
    const event = events.find((candidate: any) => candidate.action === 'migration.proposal_accepted');
    assert.deepEqual(event.details, { importId, accountId: accepted.body.account.id, sourceName: 'release-bot', sourceEmail: 'release@example.com', edited: [] });
  });

  it('flags an account migrated before', async () => {
    const again = await server.admin.post('/migrations/imports', { accounts: [JSON_EXPORT.accounts[15]] });
    const [item] = again.body.items;

    assert.deepEqual(item.problems.map((problem: any) => problem.code), ['name_taken', 'already_migrated']);
    assert.equal(item.proposal.name, 'svc-sync-writer-01-2');
  });

  it('answers 404 for unknown ids', async () => {
    assertProblem(await server.admin.get('/migrations/imports/nope'), 404, 'not_found');
    assertProblem(await server.admin.post(`/migrations/imports/${importId}/proposals/nope/accept`, {}), 404, 'not_found');
  });
});

describe('CSV parser', () => {
  it('reads quoted cells', () => {
    const records = parseCsv('a,b,c\r\n"x, y","say ""hi""",""\n"two\nlines",z,\n');

    assert.deepEqual(records, [
      { line: 1, cells: ['a', 'b', 'c'] },
      { line: 2, cells: ['x, y', 'say "hi"', ''] },
      { line: 3, cells: ['two\nlines', 'z', ''] },
    ]);
  });

  it('skips blank lines and a byte order mark', () => {
    assert.deepEqual(parseCsv('\uFEFFa,b\n\nc,d'), [
      { line: 1, cells: ['a', 'b'] },
      { line: 3, cells: ['c', 'd'] },
    ]);
  });

  it('rejects an unterminated quote', () => {
    assert.throws(() => parseCsv('a,b\n"open,c\n'), { name: 'CsvSyntaxError', line: 2 });
  });

  it('rejects a stray quote', () => {
    assert.throws(() => parseCsv('a,b\nx"y,c\n'), { name: 'CsvSyntaxError', line: 2 });
    assert.throws(() => parseCsv('a,b\n"x"y,c\n'), { name: 'CsvSyntaxError', line: 2 });
  });
});

describe('import validation', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira', 'jira');
  });

  after(() => server.close());

  async function importCount() {
    const [row] = await queryDatabase<{ count: number | string }>(server, 'select count(*) as count from migration_imports');
    return Number(row.count);
  }

  it('lists every bad JSON entry', async () => {
    const result = await server.admin.post('/migrations/imports', {
      accounts: [
        { name: 'ok-bot', email: 'ok@example.com', groups: [], access: [{ instance: 'jira', projects: { ABC: 'read' } }] },
        { name: ' padded', email: 'not-an-email', access: [{ instance: 'jira', projects: { ABC: 'delete' } }] },
        { name: 'OK-BOT', email: 'dup@example.com', access: [{ instance: 'jira', projects: {} }], role: 'x' },
        { email: 'x@example.com', access: [{ instance: 'jira', tickets: { A: 'read' } }, { instance: 'jira', projects: { B: 'read' } }] },
      ],
    });

    assertProblem(result, 400, 'invalid_import');
    assert.deepEqual(result.body.errors, [
      { field: 'accounts[1].name', message: 'accounts[1].name " padded" starts or ends with whitespace or contains control characters; remove them.' },
      { field: 'accounts[1].email', message: 'accounts[1].email "not-an-email" is not an email address such as jenkins@example.com.' },
      { field: 'accounts[1].access[0].projects.ABC', message: 'accounts[1].access[0].projects.ABC: permission "delete" is unknown; use one of: read, write, admin.' },
      { field: 'accounts[2].role', message: 'accounts[2].role is not a known field; remove it or check its spelling.' },
      { field: 'accounts[2].access[0]', message: 'accounts[2].access[0] lists no resource; add at least one of projects, spaces, repositories, deploymentProjects, resources with an id and its permission.' },
      { field: 'accounts[3].name', message: 'accounts[3].name is required; add it.' },
      { field: 'accounts[3].access[0].tickets', message: 'accounts[3].access[0].tickets is not a known field; use instance and one or more of: projects, spaces, repositories, deploymentProjects, resources.' },
      { field: 'accounts[3].access[1].instance', message: 'accounts[3].access[1].instance "jira" appears twice; merge its resources into one entry.' },
      { field: 'accounts[2].name', message: 'accounts[2].name "OK-BOT" appears again (first at accounts[0].name); each human account appears once, with all its access.' },
    ]);
    assert.match(result.body.detail, /^The export has 9 invalid entries\. Nothing was imported/);
    assert.equal(await importCount(), 0);
  });

  it('rejects a repeated name', async () => {
    const account = { name: 'twin', email: 'twin@example.com', access: [{ instance: 'jira', projects: { A: 'read' } }] };
    const result = await server.admin.post('/migrations/imports', { accounts: [account, { ...account, name: 'TWIN' }] });

    assertProblem(result, 400, 'invalid_import');
    assert.deepEqual(result.body.errors, [{ field: 'accounts[1].name', message: 'accounts[1].name "TWIN" appears again (first at accounts[0].name); each human account appears once, with all its access.' }]);
  });

  it('rejects an empty or wrong body', async () => {
    assertProblem(await server.admin.post('/migrations/imports', { accounts: [] }), 400, 'invalid_import');
    assertProblem(await server.admin.post('/migrations/imports', { accounts: [], extra: 1 }), 400, 'invalid_import');
    assertProblem(await server.admin.request('POST', '/migrations/imports', '{"accounts": [', { 'content-type': 'application/json' }), 400, 'invalid_json');
    assertProblem(await server.admin.request('POST', '/migrations/imports', 'name,email', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
  });

  it('names CSV lines', async () => {
    const csv = [
      'name,email,groups,instance,resourceType,resourceId,permission',
      'ok-bot,ok@example.com,ci,jira,project,ABC,read',
      'ok-bot,other@example.com,ci,jira,project,DEF,read',
      'bad-bot,bad@example.com,,jira,ticket,ABC,read',
      'bad-bot,bad@example.com,,jira,project,ABC,owner',
      'ok-bot,ok@example.com,ci,jira,project,ABC,write',
      'short,row@example.com,jira',
    ].join('\n');
    const result = await uploadCsv(server, csv);

    assertProblem(result, 400, 'invalid_import');
    assert.deepEqual(result.body.errors, [
      { line: 3, field: 'email', message: 'line 3, email: "other@example.com" differs from "ok@example.com" on line 2 for the same name; one account has one email.' },
      { line: 4, field: 'resourceType', message: 'line 4, resourceType: "ticket" is not a resource type; use one of: project, space, repository, deployment-project, resource.' },
      { line: 5, field: 'permission', message: 'line 5, permission: permission "owner" is unknown; use one of: read, write, admin.' },
      { line: 6, field: 'resourceId', message: 'line 6, resourceId: "ABC" on jira is listed again (first on line 2); keep one row with the highest permission.' },
      { line: 7, field: 'body', message: 'line 7: the row has 3 cells but the header has 7; quote cells that contain commas.' },
    ]);
    assert.equal(await importCount(), 0);
  });

  it('checks the CSV header', async () => {
    const result = await uploadCsv(server, 'name,mail,groups,instance,resourceType,resourceId,permission\nx,x@example.com,,jira,project,A,read\n');

    assertProblem(result, 400, 'invalid_import');
    assert.deepEqual(result.body.errors, [
      { line: 1, field: 'mail', message: 'line 1: column "mail" is unknown; the columns are name,email,groups,instance,resourceType,resourceId,permission and optionally owner.' },
      { line: 1, field: 'email', message: 'line 1: column "email" is missing; the header must be name,email,groups,instance,resourceType,resourceId,permission.' },
    ]);
  });

  it('reports a CSV quoting error with its line', async () => {
    const result = await uploadCsv(server, 'name,email,groups,instance,resourceType,resourceId,permission\nx,x@example.com,"ci,jira,project,A,read\n');

    assertProblem(result, 400, 'invalid_import');
    assert.deepEqual(result.body.errors, [{ line: 2, field: 'body', message: 'line 2: a quoted cell is not closed; end it with a double quote.' }]);
  });

  it('rejects an export over 5 MiB', async () => {
    const result = await uploadCsv(server, `name,email\n${'x'.repeat(5 * 1024 * 1024)}`);

    assertProblem(result, 413, 'body_too_large');
  });

  it('needs the admin role', async () => {
    const passwordHash = await hash('auditor-password-1');
    await queryDatabase(server, `insert into admins (id, username, password_hash, role, created_at) values ('auditor-1', 'auditor', '${passwordHash}', 'auditor', 0)`);
    const auditor = new AdminClient(server.baseUrl);
    await auditor.signIn('auditor', 'auditor-password-1');

    assertProblem(await auditor.post('/migrations/imports', JSON_EXPORT), 403, 'forbidden');
    assert.equal((await auditor.get('/migrations/imports')).status, 200);
    assert.equal(await importCount(), 0);
  });
});

describe('migration manifest', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira', 'jira', 'https://jira.example.com');
    await ensureInstance(server, 'git', 'bitbucket', 'https://git.example.com');
    await createAccount(server, {
      name: 'etl',
      description: 'Nightly export',
      owner: 'data-team',
      purpose: 'Copies issues to the warehouse',
      access: [
        { instance: 'jira', scopes: ['WRITE'], resources: { project: ['ABC'] } },
        { instance: 'git', scopes: ['REPO_READ'], resources: { repository: '*' } },
      ],
    });
    const disabled = await createAccount(server, { name: 'old-bot', access: [{ instance: 'jira', scopes: ['read:issue'], resources: { project: ['OLD'] } }] });
    await server.admin.patch(`/service-accounts/${disabled.id}`, { status: 'disabled' });
  });

  after(() => server.close());

  it('maps coarse scopes to granular ones', async () => {
    const result = await server.admin.get('/migrations/manifest');
    const [etl, old] = result.body.accounts;

    assert.equal(result.status, 200, result.text);
    assert.equal(result.body.manifestVersion, 1);
    assert.equal(result.body.issuer, server.baseUrl);
    assert.deepEqual(result.body.instances, [
      { slug: 'git', name: 'GIT', profile: 'bitbucket', audience: 'https://git.example.com' },
      { slug: 'jira', name: 'JIRA', profile: 'jira', audience: 'https://jira.example.com' },
      { slug: 'tessera', name: 'Tessera admin API', profile: 'tessera', audience: `${server.baseUrl}/api/v1` },
    ]);
    assert.deepEqual(result.body.scopeMapping, {
      jira: {
        READ: ['read:comment', 'read:issue', 'read:project'],
        WRITE: ['read:comment', 'read:issue', 'read:project', 'write:comment', 'write:issue'],
        ADMIN: ['manage:project', 'read:comment', 'read:issue', 'read:project', 'write:comment', 'write:issue'],
      },
      bitbucket: { PUBLIC_REPOS: [], REPO_READ: [], REPO_WRITE: [], REPO_ADMIN: [], PROJECT_ADMIN: [] },
      // The admin API's scopes are already granular, so the built-in tessera instance maps none.
      tessera: {},
    });
    assert.deepEqual(
      { ...etl, sourceId: undefined, sourceClientId: undefined, createdAt: undefined },
      {
        name: 'etl',
        description: 'Nightly export',
        owner: 'data-team',
        purpose: 'Copies issues to the warehouse',
        contacts: [],
        status: 'active',
        sourceId: undefined,
        sourceClientId: undefined,
        createdAt: undefined,
        access: [
          { instance: 'git', profile: 'bitbucket', audience: 'https://git.example.com', scopes: ['REPO_READ'], granularScopes: [], resources: { repository: '*' } },
          { instance: 'jira', profile: 'jira', audience: 'https://jira.example.com', scopes: ['WRITE'], granularScopes: ['read:comment', 'read:issue', 'read:project', 'write:comment', 'write:issue'], resources: { project: ['ABC'] } },
        ],
      },
    );
    assert.equal(old.status, 'disabled');
    assert.deepEqual(old.access[0].granularScopes, ['read:issue']);
  });

  it('holds no secret', async () => {
    const result = await server.admin.get('/migrations/manifest');

    assert.doesNotMatch(result.text, /tss_|secret/i);
    const [event] = (await server.admin.get('/audit-events?action=migration.manifest_exported&limit=1')).body.items;
    assert.deepEqual(event.details, { accounts: 2 });
  });
});
