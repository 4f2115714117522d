import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parseGrant } from '../src/cli/remote/accounts.js';
import { ADMIN_PASSWORD, type CreatedAccount, type TestServer, createAccount, ensureInstance, startTestServer } from './support/server.js';

const CLI = fileURLToPath(new URL('../bin/tessera.js', import.meta.url));
const JWT = /eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+/;

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a child process, asynchronously, because the server runs in this process and must keep serving. */
function run(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, ...env })) if (value !== undefined) childEnv[key] = value;
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: childEnv, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

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

describe('tessera CLI against a server', () => {
  let server: TestServer;
  let automation: CreatedAccount;
  let reader: CreatedAccount;
  let directory: string;

  /** Runs the CLI as the automation account, a service account with admin:write. */
  function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
    return run(args, { TESSERA_URL: server.baseUrl, TESSERA_CLIENT_ID: automation.clientId, TESSERA_CLIENT_SECRET: automation.clientSecret, TESSERA_USERNAME: undefined, TESSERA_PASSWORD: undefined, ...env });
  }

  async function json(args: string[], env: Record<string, string | undefined> = {}): Promise<any> {
    const result = await cli([...args, '--json'], env);
    assert.equal(result.status, 0, `tessera ${args.join(' ')}: ${result.stderr}`);
    assert.doesNotMatch(result.stdout, JWT);
    assert.doesNotMatch(result.stderr, JWT);
    return JSON.parse(result.stdout);
  }

  before(async () => {
    server = await startTestServer();
    directory = mkdtempSync(join(tmpdir(), 'tessera-cli-test-'));
    await ensureInstance(server, 'jira', 'jira', 'https://jira.example.com');
    assert.equal((await server.admin.put('/policy', { scopes: { adminScopesAllowed: true } })).status, 200);
    automation = await createAccount(server, { name: 'automation', access: [{ instance: 'tessera', scopes: ['admin:write'], resources: {} }] });
    reader = await createAccount(server, { name: 'reader', access: [{ instance: 'tessera', scopes: ['admin:read'], resources: {} }] });
  });

  after(async () => {
    rmSync(directory, { recursive: true, force: true });
    await server.close();
  });

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

  it('password sign-in from TESSERA_PASSWORD', async () => {
    const listed = await json(['instances', 'list', '--username', 'admin'], { TESSERA_CLIENT_ID: undefined, TESSERA_CLIENT_SECRET: undefined, TESSERA_PASSWORD: ADMIN_PASSWORD });
    assert.ok(listed.items.some((instance: any) => instance.slug === 'jira'));

    const signOut = await server.admin.get('/audit-events?action=admin.sign_out&limit=1');
    assert.equal(signOut.body.items[0]?.actor.name, 'admin');
  });

  it('password without a terminal is a usage error', async () => {
    const result = await cli(['instances', 'list', '--username', 'admin'], { TESSERA_CLIENT_ID: undefined, TESSERA_CLIENT_SECRET: undefined });

    assert.equal(result.status, 2);
    assert.match(result.stderr, /^error: no password: set TESSERA_PASSWORD/);
  });

  it('wrong password exits 3', async () => {
    const result = await cli(['instances', 'list', '--username', 'admin'], { TESSERA_CLIENT_ID: undefined, TESSERA_CLIENT_SECRET: undefined, TESSERA_PASSWORD: 'not-the-password' });

    assert.equal(result.status, 3);
    assert.match(result.stderr, /^error: invalid_credentials: /);
    assert.ok(!result.stderr.includes('not-the-password'));
  });

  it('wrong client secret exits 3', async () => {
    const result = await cli(['accounts', 'list'], { TESSERA_CLIENT_SECRET: `${automation.clientSecret.slice(0, -4)}xxxx` });

    assert.equal(result.status, 3);
    assert.match(result.stderr, /^error: token request failed: invalid_client: /);
    assert.ok(!result.stderr.includes(automation.clientSecret.slice(0, 20)));
  });

  it('read scope cannot create, exits 3', async () => {
    const result = await cli(['instances', 'create', 'blocked', '--name', 'Blocked', '--profile', 'generic', '--audience', 'https://blocked.example.com'], { TESSERA_CLIENT_ID: reader.clientId, TESSERA_CLIENT_SECRET: reader.clientSecret });

    assert.equal(result.status, 3);
    assert.match(result.stderr, /^error: forbidden: This action needs the admin role; your token has the scopes admin:read/);
  });

  it('not found exits 4', async () => {
    const [account, instance] = await Promise.all([cli(['accounts', 'get', 'no-such-account']), cli(['instances', 'delete', 'no-such-instance'])]);

    assert.equal(account.status, 4);
    assert.match(account.stderr, /^error: not_found: no service account has the name or client id "no-such-account"/);
    assert.equal(instance.status, 4);
    assert.match(instance.stderr, /^error: not_found: No instance has the slug or id "no-such-instance"/);
  });

  it('conflict exits 5', async () => {
    const [slugTaken, builtIn] = await Promise.all([
      cli(['instances', 'create', 'jira', '--name', 'Again', '--profile', 'jira', '--audience', 'https://jira2.example.com']),
      cli(['instances', 'delete', 'tessera']),
    ]);

    assert.equal(slugTaken.status, 5);
    assert.match(slugTaken.stderr, /^error: slug_taken: /);
    assert.equal(builtIn.status, 5);
    assert.match(builtIn.stderr, /^error: instance_built_in: /);
  });

  it('bad usage exits 2', async () => {
    const [unknownOption, missingArgument, badGrant, noCredentials, badServer] = await Promise.all([
      cli(['accounts', 'list', '--colour']),
      cli(['accounts', 'get']),
      cli(['accounts', 'create', 'bad-grant', '--grant', 'jira']),
      cli(['instances', 'list'], { TESSERA_CLIENT_ID: undefined, TESSERA_CLIENT_SECRET: undefined }),
      cli(['instances', 'list', '--server', 'not a url']),
    ]);

    for (const result of [unknownOption, missingArgument, badGrant, noCredentials, badServer]) assert.equal(result.status, 2, result.stderr);
    assert.match(unknownOption.stderr, /unknown option '--colour'/);
    assert.match(badGrant.stderr, /^error: --grant "jira" is not instance:SCOPE/);
    assert.match(noCredentials.stderr, /^error: no credentials: /);
    assert.match(badServer.stderr, /^error: --server "not a url" is not an absolute URL/);
  });

  it('unreachable server exits 1', async () => {
    // A port that was just free on loopback, so no server listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));

    const result = await cli(['instances', 'list', '--server', `http://127.0.0.1:${port}`]);

    assert.equal(result.status, 1);
    assert.match(result.stderr, new RegExp(`^error: cannot reach http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
  });

  it('completion bash completes commands', async () => {
    const script = await cli(['completion', 'bash']);
    assert.equal(script.status, 0, script.stderr);
    const file = join(directory, 'tessera.bash');
    writeFileSync(file, script.stdout);

    // Runs the completion function in bash as the shell would for "tessera acc" and "tessera accounts ge".
    const probe = `source ${file}; COMP_WORDS=(tessera acc); COMP_CWORD=1; _tessera; echo "\${COMPREPLY[*]}"; COMP_WORDS=(tessera accounts ge); COMP_CWORD=2; _tessera; echo "\${COMPREPLY[*]}"; COMP_WORDS=(tessera accounts get name --se); COMP_CWORD=4; _tessera; echo "\${COMPREPLY[*]}"`;
    const output = await new Promise<string>((resolve, reject) => {
      const bash = spawn('bash', ['-c', probe]);
      let text = '';
      bash.stdout.on('data', (chunk) => (text += chunk));
      bash.on('error', reject);
      bash.on('close', () => resolve(text));
    });
    assert.deepEqual(output.trim().split('\n'), ['accounts', 'get', '--server']);
  });

  it('completion zsh prints compdef', async () => {
    const result = await cli(['completion', 'zsh']);

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^#compdef tessera$/m);
    assert.match(result.stdout, /\["tessera credentials rotate"\]="[^"]*--grace-period/);
    assert.match(result.stdout, /^compdef _tessera tessera$/m);
  });

  it('unsupported shell exits 2', async () => {
    const result = await cli(['completion', 'fish']);

    assert.equal(result.status, 2);
    assert.match(result.stderr, /Allowed choices are bash, zsh/);
  });
});
