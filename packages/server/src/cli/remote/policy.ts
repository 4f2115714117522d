import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type ConnectionFlags, withClient, withConnectionOptions } from './connection.js';
import { usageError } from './errors.js';
import { print } from './output.js';

// Fields that GET /policy returns and PUT /policy does not take, so that the output of
// `policy get --json` can be edited and set again as it is.
const READ_ONLY_FIELDS = ['updatedAt', 'updatedBy', 'noncompliant'];

function readPolicyFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw usageError(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); pass the path of a JSON policy document with -f.`);
  }

  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw usageError(`${path} is not valid JSON: ${(error as Error).message}.`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw usageError(`${path} must hold one JSON object, the policy document.`);
  return Object.fromEntries(Object.entries(document).filter(([key]) => !READ_ONLY_FIELDS.includes(key)));
}

export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description("Read and replace the organisation's policy.");

  withConnectionOptions(policy.command('get').description('Print the policy as JSON (the same with or without --json).')).action((flags: ConnectionFlags) =>
    withClient(flags, async (client) => {
      const current = await client.get('/policy');
      print({ json: true }, current, () => '');
    }),
  );

  withConnectionOptions(
    policy
      .command('set')
      .description('Replace the policy with a JSON document, such as an edited output of policy get; updatedAt, updatedBy and noncompliant are ignored.')
      .requiredOption('-f, --file <path>', 'the JSON policy document, or - for standard input'),
  ).action((flags: ConnectionFlags & { file: string }) =>
    withClient(flags, async (client) => {
      const updated = await client.request<{ noncompliant: { credentials: number; accounts: number; grants: number } }>('PUT', '/policy', readPolicyFile(flags.file));
      const { credentials, accounts, grants } = updated.noncompliant;
      print(flags, updated, () => `Policy updated. Not compliant now: ${credentials} credentials, ${accounts} accounts, ${grants} grants.`);
    }),
  );
}
