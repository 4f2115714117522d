import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CreatedAccount, type TestServer, createAccount, ensureInstance, startTestServer } from './server.js';

export const CLI_PATH = fileURLToPath(new URL('../../bin/tessera.js', import.meta.url));
const JWT = /eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+/;

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

type Environment = Record<string, string | undefined>;

/** Runs the CLI as a child process, asynchronously, because the server runs in this process and must keep serving. */
export function runCli(args: string[], env: Environment): Promise<CliResult> {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, ...env })) if (value !== undefined) childEnv[key] = value;
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_PATH, ...args], { env: childEnv, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

export interface CliServer {
  server: TestServer;
  /** A service account with admin:write on the tessera instance, which the CLI runs as by default. */
  automation: CreatedAccount;
  /** A service account with admin:read only. */
  reader: CreatedAccount;
  /** A scratch folder for files the CLI reads or writes. */
  directory: string;
  cli(args: string[], env?: Environment): Promise<CliResult>;
  /** Runs the CLI with --json, checks that it succeeded without printing a token, and parses stdout. */
  json(args: string[], env?: Environment): Promise<any>;
  close(): Promise<void>;
}

/** Starts a test server with the jira instance, admin-level scopes allowed and two automation accounts. */
export async function startCliServer(): Promise<CliServer> {
  const server = await startTestServer();
  const directory = mkdtempSync(join(tmpdir(), 'tessera-cli-test-'));
  await ensureInstance(server, 'jira', 'jira', 'https://jira.example.com');
  assert.equal((await server.admin.put('/policy', { scopes: { adminScopesAllowed: true } })).status, 200);
  const automation = await createAccount(server, { name: 'automation', access: [{ instance: 'tessera', scopes: ['admin:write'], resources: {} }] });
  const reader = await createAccount(server, { name: 'reader', access: [{ instance: 'tessera', scopes: ['admin:read'], resources: {} }] });

  const cli = (args: string[], env: Environment = {}) =>
    runCli(args, { TESSERA_URL: server.baseUrl, TESSERA_CLIENT_ID: automation.clientId, TESSERA_CLIENT_SECRET: automation.clientSecret, TESSERA_USERNAME: undefined, TESSERA_PASSWORD: undefined, ...env });

  const json = async (args: string[], env: Environment = {}) => {
    const result = await cli([...args, '--json'], env);
    assert.equal(result.status, 0, `tessera ${args.join(' ')}: ${result.stderr}`);
    assert.doesNotMatch(result.stdout, JWT);
    assert.doesNotMatch(result.stderr, JWT);
    return JSON.parse(result.stdout);
  };

  return {
    server,
    automation,
    reader,
    directory,
    cli,
    json,
    async close() {
      rmSync(directory, { recursive: true, force: true });
      await server.close();
    },
  };
}
