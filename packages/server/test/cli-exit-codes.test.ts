import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI_PATH, type CliServer, startCliServer } from './support/cli.js';
import { ADMIN_PASSWORD, type CreatedAccount, type TestServer } from './support/server.js';

describe('tessera CLI exit codes and completion', () => {
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

  it('password sign-in from TESSERA_PASSWORD', async () => {
    const listed = await json(['instances', 'list', '--username', 'admin'], { TESSERA_CLIENT_ID: undefined, TESSERA_CLIENT_SECRET: undefined, TESSERA_PASSWORD: ADMIN_PASSWORD });
    assert.ok(listed.items.some((instance: any) => instance.slug === 'jira'));

    const signOut = await server.admin.get('/audit-events?action=admin.sign_out&limit=1');
    assert.equal(signOut.body.items[0]?.actor.name, 'admin');
  });

  it('password prompt reads without echo', async (t) => {
    if (spawnSync('script', ['--version']).error) return t.skip('util-linux script is not installed, so no terminal can be simulated');

    // script(1) gives the CLI a pseudo-terminal, so it prompts as it would for a person.
    const command = `'${process.execPath}' '${CLI_PATH}' instances list --username admin --json --server ${server.baseUrl}`;
    const env = { ...process.env };
    for (const name of ['TESSERA_CLIENT_ID', 'TESSERA_CLIENT_SECRET', 'TESSERA_USERNAME', 'TESSERA_PASSWORD']) delete env[name];
    const child = spawn('script', ['-qec', command, '/dev/null'], { env });
    let output = '';
    let typed = false;
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (typed || !output.includes('Password for admin: ')) return;
      typed = true;
      child.stdin.write(`${ADMIN_PASSWORD}\r`);
    });
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));

    assert.equal(status, 0, output);
    assert.match(output, /Password for admin: /);
    assert.ok(!output.includes(ADMIN_PASSWORD), `the password was echoed: ${JSON.stringify(output.slice(0, 200))}`);
    assert.match(output, /"slug": "jira"/);
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
