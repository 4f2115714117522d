import { type Command, Option } from 'commander';
import { wholeNumber } from './arguments.js';
import { type ConnectionFlags, withClient, withConnectionOptions } from './connection.js';
import { usageError } from './errors.js';
import { type Column, formatRecord, formatTable, print } from './output.js';

interface Instance {
  id: string;
  slug: string;
  name: string;
  profile: string;
  audience: string;
  accessTokenLifetimeSeconds: number | null;
  tokenFormat: string;
}

const COLUMNS: Column<Instance>[] = [
  { header: 'slug', value: (row) => row.slug },
  { header: 'name', value: (row) => row.name },
  { header: 'profile', value: (row) => row.profile },
  { header: 'audience', value: (row) => row.audience },
  { header: 'id', value: (row) => row.id },
];

function describe(instance: Instance): string {
  return formatRecord([
    ['id', instance.id],
    ['slug', instance.slug],
    ['name', instance.name],
    ['profile', instance.profile],
    ['audience', instance.audience],
    ['token lifetime (s)', instance.accessTokenLifetimeSeconds ?? 'server default'],
    ['token format', instance.tokenFormat],
  ]);
}

interface InstanceFlags extends ConnectionFlags {
  name?: string;
  profile?: string;
  audience?: string;
  tokenLifetime?: number;
  tokenFormat?: string;
}

function instanceBody(flags: InstanceFlags): Record<string, unknown> {
  return {
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(flags.profile !== undefined ? { profile: flags.profile } : {}),
    ...(flags.audience !== undefined ? { audience: flags.audience } : {}),
    ...(flags.tokenLifetime !== undefined ? { accessTokenLifetimeSeconds: flags.tokenLifetime } : {}),
    ...(flags.tokenFormat !== undefined ? { tokenFormat: flags.tokenFormat } : {}),
  };
}

function tokenOptions(command: Command): Command {
  return command
    .option('--token-lifetime <seconds>', 'access-token lifetime for this instance, in seconds (60 to 86400)', wholeNumber(60, 86400))
    .addOption(new Option('--token-format <format>', 'access-token format').choices(['jwt', 'opaque']));
}

export function registerInstanceCommands(program: Command): void {
  const instances = program.command('instances').description('List and manage product instances.');

  withConnectionOptions(instances.command('list').description('List the product instances.')).action((flags: ConnectionFlags) =>
    withClient(flags, async (client) => {
      const page = await client.get<{ items: Instance[] }>('/instances');
      print(flags, page, () => formatTable(page.items, COLUMNS));
    }),
  );

  tokenOptions(
    withConnectionOptions(
      instances
        .command('create <slug>')
        .description('Create a product instance.')
        .requiredOption('--name <name>', 'display name')
        .requiredOption('--profile <profile>', 'scope catalogue: jira, confluence, bitbucket, bamboo, crowd or generic')
        .requiredOption('--audience <url>', "the product's base URL, which becomes the aud claim of its tokens"),
    ),
  ).action((slug: string, flags: InstanceFlags) =>
    withClient(flags, async (client) => {
      const created = await client.request<Instance>('POST', '/instances', { slug, ...instanceBody(flags) });
      print(flags, created, () => describe(created));
    }),
  );

  tokenOptions(
    withConnectionOptions(
      instances
        .command('update <instance>')
        .description('Change an instance, named by slug or id. The slug and profile cannot change.')
        .option('--name <name>', 'display name')
        .option('--audience <url>', "the product's base URL"),
    ),
  ).action((instance: string, flags: InstanceFlags) =>
    withClient(flags, async (client) => {
      const body = instanceBody(flags);
      if (Object.keys(body).length === 0) throw usageError('nothing to change: pass --name, --audience, --token-lifetime or --token-format.');
      const updated = await client.request<Instance>('PATCH', `/instances/${encodeURIComponent(instance)}`, body);
      print(flags, updated, () => describe(updated));
    }),
  );

  withConnectionOptions(instances.command('delete <instance>').description('Delete an instance, named by slug or id, that no account holds a grant on.')).action(
    (instance: string, flags: ConnectionFlags) =>
      withClient(flags, async (client) => {
        await client.request('DELETE', `/instances/${encodeURIComponent(instance)}`);
        print(flags, { deleted: instance }, () => `Deleted instance ${instance}.`);
      }),
  );
}
