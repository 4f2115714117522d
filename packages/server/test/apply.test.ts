import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, type TestServer, introspect, queryDatabase, requestToken, startTestServer } from './support/server.js';

const CLI = fileURLToPath(new URL('../bin/tessera.js', import.meta.url));

interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

describe('tessera apply', () => {
  let server: TestServer;
  let directory: string;

  before(async () => {
    server = await startTestServer();
    directory = mkdtempSync(join(tmpdir(), 'tessera-apply-'));
  });

  after(async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });

  /** Runs the CLI as a child process; asynchronously, because the server runs in this process. */
  function run(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI, 'apply', '--server', server.baseUrl, ...args],
        { encoding: 'utf8', env: { ...process.env, TESSERA_PASSWORD: ADMIN_PASSWORD, ...env } },
        (error, stdout, stderr) => resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  function writeFile(name: string, content: unknown): string {
    const path = join(directory, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return path;
  }

  /** Counts audit events other than the run's own sign-in and sign-out. */
  async function changeEvents(): Promise<number> {
    const rows = await queryDatabase<{ n: number | string }>(server, "select count(*) as n from audit_events where action not in ('admin.sign_in', 'admin.sign_out')");
    return Number(rows[0].n);
  }

  const baseFile = {
    version: 1,
    instances: [{ slug: 'jira-prod', name: 'Jira production', profile: 'jira', audience: 'https://jira.example.com/' }],
    policy: { credentials: { maxLifetimeDays: 365 } },
    accounts: [
      {
        name: 'etl-export',
        description: 'Nightly export',
        owner: 'data-team',
        access: [{ instance: 'jira-prod', scopes: ['WRITE'], resources: { project: ['DATA', 'OPS'] } }],
        credential: { expiresInDays: 90 },
      },
      { name: 'reporting', access: [{ instance: 'jira-prod', scopes: ['READ'], resources: { project: '*' } }], rateLimit: { perMinute: 30 } },
    ],
  };

  let etlSecret: { clientId: string; clientSecret: string };
  let reportingSecret: { clientId: string; clientSecret: string };

  it('first run creates everything', async () => {
    const file = writeFile('first.json', baseFile);
    const secretsOut = join(directory, 'secrets.json');

    const result = await run(['-f', file, '--secrets-out', secretsOut]);

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^\+ create instance jira-prod$/m);
    assert.match(result.stdout, /^~ update policy: credentials\.maxLifetimeDays$/m);
    assert.match(result.stdout, /^\+ create account etl-export$/m);
    assert.match(result.stdout, /Plan: 3 to create, 1 to update, 0 to delete, 0 unchanged\./);
    assert.doesNotMatch(result.stdout, /tss_|client_secret=/);

    assert.equal(statSync(secretsOut).mode & 0o777, 0o600);
    const secrets = JSON.parse(readFileSync(secretsOut, 'utf8')).accounts as Array<{ name: string; clientId: string; clientSecret: string }>;
    assert.deepEqual(secrets.map((entry) => entry.name).sort(), ['etl-export', 'reporting']);
    etlSecret = secrets.find((entry) => entry.name === 'etl-export')!;
    reportingSecret = secrets.find((entry) => entry.name === 'reporting')!;

    const instance = await server.admin.get('/instances/jira-prod');
    assert.equal(instance.body.audience, 'https://jira.example.com');
    const policy = await server.admin.get('/policy');
    assert.equal(policy.body.credentials.maxLifetimeDays, 365);
    const accounts = await server.admin.get('/service-accounts?search=etl-export');
    assert.equal(accounts.body.items[0].owner, 'data-team');
    assert.deepEqual(accounts.body.items[0].access[0].resources, { project: ['DATA', 'OPS'] });
    assert.equal((await requestToken(server, etlSecret)).status, 200);
  });

  it('second run changes nothing', async () => {
    const file = writeFile('first.json', baseFile);
    const eventsBefore = await changeEvents();

    const result = await run(['-f', file]);

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^= unchanged instance jira-prod$/m);
    assert.match(result.stdout, /^= unchanged policy$/m);
    assert.match(result.stdout, /^= unchanged account etl-export$/m);
    assert.match(result.stdout, /Plan: 0 to create, 0 to update, 0 to delete, 4 unchanged\./);
    assert.equal(await changeEvents(), eventsBefore);
  });

  it('dry run changes nothing', async () => {
    const changed = structuredClone(baseFile);
    changed.accounts[0].description = 'Hourly export';
    const file = writeFile('dry.json', changed);
    const eventsBefore = await changeEvents();

    const result = await run(['-f', file, '--dry-run']);

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^~ update account etl-export: description$/m);
    assert.match(result.stdout, /Dry run: nothing was changed\./);
    assert.equal(await changeEvents(), eventsBefore);
    const account = await server.admin.get('/service-accounts?search=etl-export');
    assert.equal(account.body.items[0].description, 'Nightly export');
  });

  it('changed file converges', async () => {
    const issued = await requestToken(server, etlSecret);
    assert.equal(issued.status, 200, issued.text);

    const changed = structuredClone(baseFile);
    changed.instances[0].name = 'Jira';
    changed.accounts[0].description = 'Hourly export';
    changed.accounts[0].access = [{ instance: 'jira-prod', scopes: ['READ'], resources: { project: ['DATA'] } }];
    changed.accounts.push({ name: 'audit-bot', access: [{ instance: 'jira-prod', scopes: ['READ'], resources: { project: ['AUDIT'] } }] } as never);
    const file = writeFile('changed.yaml', yamlOf(changed));

    const result = await run(['-f', file]);

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^~ update instance jira-prod: name$/m);
    assert.match(result.stdout, /^~ update account etl-export: description, access$/m);
    assert.match(result.stdout, /^= unchanged account reporting$/m);
    assert.match(result.stdout, /^\+ create account audit-bot$/m);
    // Without --secrets-out the new secret is printed once.
    const printed = /^  audit-bot: client_id=(\S+) client_secret=(\S+)$/m.exec(result.stdout);
    assert.ok(printed, result.stdout);
    assert.equal((await requestToken(server, { clientId: printed[1], clientSecret: printed[2] })).status, 200);
    const account = await server.admin.get('/service-accounts?search=etl-export');
    assert.equal(account.body.items[0].description, 'Hourly export');
    assert.deepEqual(account.body.items[0].access[0].scopes, ['READ']);
    // The narrowed grant ends the token issued before it.
    assert.deepEqual((await introspect(server, reportingSecret, issued.body.access_token)).body, { active: false });

    const again = await run(['-f', file]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /Plan: 0 to create, 0 to update, 0 to delete, 5 unchanged\./);
    assert.doesNotMatch(again.stdout, /client_secret=/);
  });

  it('prune deletes unlisted accounts', async () => {
    const changed = structuredClone(baseFile);
    changed.accounts = [changed.accounts[1]];
    const file = writeFile('pruned.json', changed);

    const withoutPrune = await run(['-f', file, '--dry-run']);
    assert.equal(withoutPrune.status, 0, withoutPrune.stderr);
    assert.doesNotMatch(withoutPrune.stdout, /^- delete/m);

    const result = await run(['-f', file, '--prune']);

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^- delete account etl-export$/m);
    const list = await server.admin.get('/service-accounts?search=etl-export');
    assert.equal(list.body.items.length, 0);
    assert.equal((await server.admin.get('/instances/jira-prod')).status, 200);
  });

  it('invalid file exits 2 with the path', async () => {
    const broken = structuredClone(baseFile) as any;
    broken.accounts[1].access[0].scopes = 'READ';
    const result = await run(['-f', writeFile('broken.json', broken)]);

    assert.equal(result.status, 2);
    assert.match(result.stderr, /accounts\[1\]\.access\[0\]\.scopes: Expected array/);

    const unknownField = await run(['-f', writeFile('unknown.json', { version: 1, accounts: [{ name: 'x', colour: 'red' }] })]);
    assert.equal(unknownField.status, 2);
    assert.match(unknownField.stderr, /accounts\[0\]\.colour: Unexpected property/);

    const badStatus = await run(['-f', writeFile('status.yaml', 'version: 1\naccounts:\n  - name: x\n    status: paused\n')]);
    assert.equal(badStatus.status, 2);
    assert.match(badStatus.stderr, /accounts\[0\]\.status: Expected one of active, disabled; got "paused"/);

    const duplicate = await run(['-f', writeFile('twice.json', { version: 1, accounts: [{ name: 'x' }, { name: 'x' }] })]);
    assert.equal(duplicate.status, 2);
    assert.match(duplicate.stderr, /accounts\[1\]\.name: account "x" is already described at accounts\[0\]/);
  });

  it('server rejection exits 2 with the path', async () => {
    const eventsBefore = await changeEvents();
    const wrongScope = structuredClone(baseFile) as any;
    wrongScope.accounts[0].access[0].scopes = ['READ', 'DELETE'];

    const result = await run(['-f', writeFile('scope.json', wrongScope)]);

    assert.equal(result.status, 2, result.stdout);
    assert.match(result.stderr, /accounts\[0\]\.access\[0\]\.scopes\[1\]: .*"DELETE" is not a scope of the jira profile/);
    assert.equal(await changeEvents(), eventsBefore);

    const otherProfile = structuredClone(baseFile) as any;
    otherProfile.instances[0].profile = 'confluence';
    const profile = await run(['-f', writeFile('profile.json', otherProfile)]);
    assert.equal(profile.status, 2, profile.stdout);
    assert.match(profile.stderr, /instances\[0\]\.profile: the profile of instance "jira-prod" is jira and cannot change/);
    assert.equal(await changeEvents(), eventsBefore);
  });

  it('unknown instance exits 2 first', async () => {
    const eventsBefore = await changeEvents();
    const file = structuredClone(baseFile) as any;
    file.instances.push({ slug: 'wiki', name: 'Wiki', profile: 'confluence', audience: 'https://wiki.example.com' });
    file.accounts.push({ name: 'new-bot', access: [{ instance: 'jira-prod', scopes: ['READ'] }, { instance: 'jira-test', scopes: ['READ'] }] });

    const result = await run(['-f', writeFile('unknown-instance.json', file)]);

    assert.equal(result.status, 2, result.stdout);
    assert.match(result.stderr, /accounts\[2\]\.access\[1\]\.instance: instance "jira-test" is neither on the server nor in the file/);
    assert.equal((await server.admin.get('/instances/wiki')).status, 404);
    assert.equal(await changeEvents(), eventsBefore);
  });

  it('documented example plans', async () => {
    const docs = readFileSync(new URL('../../../docs/infrastructure-as-code.md', import.meta.url), 'utf8');
    const example = /### The file\n\n```yaml\n([\s\S]*?)```/.exec(docs);
    assert.ok(example, 'docs/infrastructure-as-code.md has no YAML example');

    const result = await run(['-f', writeFile('example.yaml', example[1]), '--dry-run']);

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^~ update instance jira-prod: accessTokenLifetimeSeconds$/m);
    assert.match(result.stdout, /^\+ create account etl-export$/m);
  });

  it('missing password exits 2', async () => {
    const result = await run(['-f', writeFile('first.json', baseFile)], { TESSERA_PASSWORD: '' });

    assert.equal(result.status, 2);
    assert.match(result.stderr, /TESSERA_PASSWORD/);
  });

  it('wrong password exits 1', async () => {
    const result = await run(['-f', writeFile('first.json', baseFile)], { TESSERA_PASSWORD: 'wrong-password' });

    assert.equal(result.status, 1);
    assert.match(result.stderr, /invalid_credentials/);
  });
});

/** Writes a small YAML document by hand, so that the YAML path is tested with a file a person could write. */
function yamlOf(file: any): string {
  const lines = ['version: 1', 'instances:'];
  for (const instance of file.instances) {
    lines.push(`  - slug: ${instance.slug}`, `    name: ${instance.name}`, `    profile: ${instance.profile}`, `    audience: ${instance.audience}`);
  }
  lines.push('policy:', '  credentials:', `    maxLifetimeDays: ${file.policy.credentials.maxLifetimeDays}`, 'accounts:');
  for (const account of file.accounts) {
    lines.push(`  - name: ${account.name}`);
    if (account.description) lines.push(`    description: ${account.description}`);
    if (account.owner) lines.push(`    owner: ${account.owner}`);
    if (account.rateLimit) lines.push(`    rateLimit: { perMinute: ${account.rateLimit.perMinute} }`);
    lines.push('    access:');
    for (const grant of account.access) {
      lines.push(`      - instance: ${grant.instance}`, `        scopes: [${grant.scopes.join(', ')}]`);
      const project = grant.resources.project;
      lines.push(`        resources: { project: ${project === '*' ? '"*"' : `[${project.join(', ')}]`} }`);
    }
  }
  return `${lines.join('\n')}\n`;
}
