import { type Command, Option } from 'commander';
import { AdminApiClient, type Authentication } from './client.js';
import { CliError, EXIT, usageError } from './errors.js';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8080';

export interface ConnectionFlags {
  server?: string;
  clientId?: string;
  clientSecret?: string;
  username?: string;
  json?: boolean;
}

/** Adds the options every command that talks to a server takes. */
export function withConnectionOptions(command: Command): Command {
  return command
    .addOption(new Option('--server <url>', `base URL of the Tessera server (default ${DEFAULT_SERVER_URL})`).env('TESSERA_URL'))
    .addOption(new Option('--client-id <id>', "a service account's client id; the account needs admin:read or admin:write on the tessera instance").env('TESSERA_CLIENT_ID'))
    .addOption(new Option('--client-secret <secret>', 'the client secret; prefer the environment variable, which stays out of the process list').env('TESSERA_CLIENT_SECRET'))
    .addOption(new Option('--username <name>', "an admin's username; the password comes from TESSERA_PASSWORD or a prompt").env('TESSERA_USERNAME'))
    .option('--json', 'print the API response as JSON instead of a table');
}

function serverUrl(raw: string | undefined): string {
  const value = raw ?? DEFAULT_SERVER_URL;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`--server "${value}" is not an absolute URL; use a form such as ${DEFAULT_SERVER_URL}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`--server "${value}" must be an http or https URL.`);
  return url.href.replace(/\/+$/, '');
}

/** Reads a password from the terminal without echoing it. */
async function promptPassword(prompt: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) throw usageError('no password: set TESSERA_PASSWORD, or run the command in a terminal to be asked for it.');

  // Raw mode goes on before the prompt appears, so that a password typed or pasted as soon as
  // the prompt shows is not echoed by the terminal's line discipline.
  input.setRawMode(true);
  process.stderr.write(prompt);
  input.resume();
  input.setEncoding('utf8');
  try {
    return await new Promise<string>((resolve, reject) => {
      let password = '';
      input.on('data', (chunk: string) => {
        for (const character of chunk) {
          if (character === '\r' || character === '\n') return resolve(password);
          if (character === '\u0003') return reject(new CliError(EXIT.failed, 'cancelled at the password prompt.'));
          if (character === '\u007f' || character === '\b') password = password.slice(0, -1);
          else password += character;
        }
      });
    });
  } finally {
    input.setRawMode(false);
    input.pause();
    input.removeAllListeners('data');
    process.stderr.write('\n');
  }
}

async function authentication(flags: ConnectionFlags): Promise<Authentication> {
  if (flags.clientId !== undefined && flags.username !== undefined) throw usageError('pass either --client-id or --username, not both.');

  if (flags.clientId !== undefined) {
    if (!flags.clientSecret) throw usageError('--client-id needs a client secret: set TESSERA_CLIENT_SECRET or pass --client-secret.');
    return { kind: 'client', clientId: flags.clientId, clientSecret: flags.clientSecret };
  }
  if (flags.username !== undefined) {
    const password = process.env.TESSERA_PASSWORD ?? (await promptPassword(`Password for ${flags.username}: `));
    return { kind: 'password', username: flags.username, password };
  }
  throw usageError('no credentials: pass --client-id with TESSERA_CLIENT_SECRET for a service account, or --username for an admin.');
}

/**
 * Runs a command against the server: builds the client from the flags, runs the work, signs a
 * password session out again, and ends the process with the exit code of any failure.
 */
export async function withClient(flags: ConnectionFlags, work: (client: AdminApiClient) => Promise<void>): Promise<void> {
  const client = new AdminApiClient(serverUrl(flags.server), await authentication(flags));
  try {
    await work(client);
  } finally {
    await client.close();
  }
}
