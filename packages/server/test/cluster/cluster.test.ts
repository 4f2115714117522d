import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { ADMIN_PASSWORD, AdminClient, basicAuth, createPostgresDatabase, dropPostgresDatabase, postForm, queryDatabase } from '../support/server.js';
import { CLI, type Nginx, type NodeProcess, freePort, startNginx, startNode } from './processes.js';

function runCli(args: string[], env: Record<string, string>): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('exit', (status) => resolve({ status, output }));
  });
}

describe('two nodes on one PostgreSQL behind nginx', () => {
  let databaseUrl: string;
  let directory: string;
  let env: Record<string, string>;
  let nodeA: NodeProcess;
  let nodeB: NodeProcess;
  let nginx: Nginx;
  let account: { id: string; clientId: string; clientSecret: string; credentialId: string };
  const adminA = () => new AdminClient(nodeA.url);

  before(async () => {
    databaseUrl = await createPostgresDatabase();
    directory = mkdtempSync(join(tmpdir(), 'tessera-cluster-'));
    env = {
      TESSERA_DATABASE_URL: databaseUrl,
      // Every node needs the same master key: it decrypts the shared signing keys.
      TESSERA_MASTER_KEY: randomBytes(32).toString('base64'),
      TESSERA_ADMIN_PASSWORD: ADMIN_PASSWORD,
      TESSERA_DATA_DIR: directory,
      TESSERA_LAST_USED_FLUSH_MS: '200',
    };
  });

  after(async () => {
    await nginx?.stop();
    await nodeA?.stop();
    await nodeB?.stop();
    await dropPostgresDatabase(databaseUrl);
    rmSync(directory, { recursive: true, force: true });
  });

  it('migrates once when two migrators race', async () => {
    const [first, second] = await Promise.all([runCli(['migrate'], env), runCli(['migrate'], env)]);

    assert.equal(first.status, 0, first.output);
    assert.equal(second.status, 0, second.output);
    const applied = [first.output, second.output].filter((output) => output.includes('Applied migrations'));
    assert.equal(applied.length, 1, `${first.output}\n${second.output}`);
    const appliedNames = applied[0].split('Applied migrations: ')[1].trim().split(', ');
    const rows = await queryDatabase<{ name: string }>({ databaseUrl }, 'SELECT name FROM tessera_migrations ORDER BY name');
    assert.deepEqual(rows.map((row) => row.name), appliedNames);
  });

  it('starts two nodes and the load balancer', async () => {
    // The issuer is the public URL in front of both nodes, so it must be known first.
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    env.TESSERA_ISSUER = issuer;
    [nodeA, nodeB] = await Promise.all([startNode(env), startNode(env)]);
    nginx = await startNginx([nodeA.url, nodeB.url], port);

    assert.equal(nginx.url, issuer);
  });

  it('signs in and creates an account through nginx', async () => {
    const admin = new AdminClient(nginx.url);
    assert.equal((await admin.signIn()).status, 200);

    assert.equal((await admin.post('/instances', { slug: 'jira', name: 'Jira', profile: 'jira', audience: 'https://jira.example.com' })).status, 201);
    const created = await admin.post('/service-accounts', { name: 'cluster-account', access: [{ instance: 'jira', scopes: ['READ'] }] });
    assert.equal(created.status, 201);
    account = { id: created.body.id, clientId: created.body.clientId, clientSecret: created.body.credential.clientSecret, credentialId: created.body.credential.id };
  });

  it('both nodes publish the same JWKS', async () => {
    const [jwksA, jwksB] = await Promise.all([nodeA.url, nodeB.url].map(async (url) => (await fetch(`${url}/oauth/jwks`)).json()));

    assert.equal(jwksA.keys.length, 1);
    assert.deepEqual(jwksA, jwksB);
  });

  it('issues verifiable tokens through nginx', async () => {
    const jwks = createRemoteJWKSet(new URL(`${nginx.url}/oauth/jwks`));
    for (let i = 0; i < 6; i++) {
      const result = await postForm(`${nginx.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(account.clientId, account.clientSecret) });
      assert.equal(result.status, 200);
      await jwtVerify(result.body.access_token, jwks, { issuer: nginx.url, audience: 'https://jira.example.com', typ: 'at+jwt' });
    }
  });

  it('shows a rotation on A to B at once', async () => {
    const admin = adminA();
    await admin.signIn();
    const rotated = await admin.post('/signing-keys/rotate', { activateInSeconds: 0 });
    assert.equal(rotated.status, 201);

    const fromA = await postForm(`${nodeA.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(account.clientId, account.clientSecret) });
    assert.equal(decodeProtectedHeader(fromA.body.access_token).kid, rotated.body.kid);

    // B learns the key from the change feed, or at the latest when it meets the unknown kid.
    const introspected = await postForm(`${nodeB.url}/oauth/introspect`, { token: fromA.body.access_token }, { authorization: basicAuth(account.clientId, account.clientSecret) });
    assert.equal(introspected.body.active, true);
    const jwksB = await (await fetch(`${nodeB.url}/oauth/jwks`)).json();
    assert.ok(jwksB.keys.some((key: any) => key.kid === rotated.body.kid));
  });

  it('revocation on A is seen on B at once', async () => {
    const admin = adminA();
    await admin.signIn();
    const second = await admin.post(`/service-accounts/${account.id}/credentials`, { expiresInDays: 1 });
    const secondSecret = { clientId: account.clientId, clientSecret: second.body.clientSecret };
    const token = await postForm(`${nodeB.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(secondSecret.clientId, secondSecret.clientSecret) });
    assert.equal(token.status, 200);

    assert.equal((await admin.delete(`/service-accounts/${account.id}/credentials/${second.body.id}`)).status, 200);

    const introspected = await postForm(`${nodeB.url}/oauth/introspect`, { token: token.body.access_token }, { authorization: basicAuth(account.clientId, account.clientSecret) });
    assert.deepEqual(introspected.body, { active: false });
    const refused = await postForm(`${nodeB.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(secondSecret.clientId, secondSecret.clientSecret) });
    assert.equal(refused.status, 401);
  });

  it('keeps one audit chain under load on both nodes', async () => {
    const requests = Array.from({ length: 400 }, (_, index) =>
      postForm(`${index % 2 === 0 ? nodeA.url : nodeB.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(account.clientId, account.clientSecret) }),
    );
    const results = await Promise.all(requests);
    const issuedJtis = results.filter((result) => result.status === 200).map((result) => JSON.parse(Buffer.from(result.body.access_token.split('.')[1], 'base64url').toString()).jti);
    assert.equal(issuedJtis.length, 400);

    const verify = await runCli(['audit', 'verify'], env);
    assert.equal(verify.status, 0, verify.output);

    const events = await queryDatabase<{ details: string }>({ databaseUrl }, "SELECT details FROM audit_events WHERE action = 'token.issued'");
    const auditedJtis = new Set(events.map((event) => JSON.parse(event.details).jti));
    const missing = issuedJtis.filter((jti) => !auditedJtis.has(jti));
    assert.deepEqual(missing, []);
  });

  it('merges last used from both nodes', async () => {
    await postForm(`${nodeA.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(account.clientId, account.clientSecret) });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await postForm(`${nodeB.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(account.clientId, account.clientSecret) });
    const usedOnB = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 600));

    const [row] = await queryDatabase<{ last_used_at: number }>({ databaseUrl }, `SELECT last_used_at FROM credentials WHERE id = '${account.credentialId}'`);
    assert.ok(Number(row.last_used_at) <= usedOnB);
    assert.ok(usedOnB - Number(row.last_used_at) < 200, `last used ${Number(row.last_used_at)} is not B's use near ${usedOnB}`);
  });
});
