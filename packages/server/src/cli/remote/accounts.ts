import { type Command, Option } from 'commander';
import { collect, isUuid, queryString, wholeNumber } from './arguments.js';
import type { AdminApiClient } from './client.js';
import { type ConnectionFlags, withClient, withConnectionOptions } from './connection.js';
import { CliError, EXIT, usageError } from './errors.js';
import { type Column, formatRecord, formatTable, print } from './output.js';

interface Grant {
  instance: string;
  scopes: string[];
  resources: Record<string, string[] | '*'>;
}

interface Account {
  id: string;
  clientId: string;
  name: string;
  description: string;
  owner: string;
  status: string;
  access: Grant[];
  createdAt: string;
  lastUsedAt: string | null;
  credentialExpiresAt: string | null;
}

function accessText(access: Grant[]): string {
  return access.map((grant) => `${grant.instance}:${grant.scopes.join(',')}`).join(' ');
}

const COLUMNS: Column<Account>[] = [
  { header: 'name', value: (row) => row.name },
  { header: 'status', value: (row) => row.status },
  { header: 'client id', value: (row) => row.clientId },
  { header: 'access', value: (row) => accessText(row.access) },
  { header: 'last used', value: (row) => row.lastUsedAt },
  { header: 'id', value: (row) => row.id },
];

function describe(account: Account): string {
  return formatRecord([
    ['id', account.id],
    ['name', account.name],
    ['client id', account.clientId],
    ['status', account.status],
    ['description', account.description],
    ['owner', account.owner],
    ['access', accessText(account.access)],
    ['created', account.createdAt],
    ['last used', account.lastUsedAt],
    ['credential expires', account.credentialExpiresAt],
  ]);
}

/**
 * Parses a grant written as `instance:SCOPE[,SCOPE][:type=id,id[;type=*]]`, such as
 * `jira:READ,WRITE:project=ABC,DEF` or `tessera:admin:read`. Scope names may contain colons,
 * so the resource part starts after the last colon before the first `=`.
 */
export function parseGrant(spec: string): Grant {
  const instanceEnd = spec.indexOf(':');
  const instance = instanceEnd > 0 ? spec.slice(0, instanceEnd) : '';
  const rest = spec.slice(instanceEnd + 1);
  const equals = rest.indexOf('=');
  const resourcesStart = equals < 0 ? -1 : rest.lastIndexOf(':', equals);
  if (equals >= 0 && resourcesStart < 0) throw usageError(`--grant "${spec}" has a resource restriction but no scope; write instance:SCOPE:type=id.`);

  const scopes = resourcesStart < 0 ? rest : rest.slice(0, resourcesStart);
  const resources = resourcesStart < 0 ? '' : rest.slice(resourcesStart + 1);
  if (!instance || !scopes) {
    throw usageError(`--grant "${spec}" is not instance:SCOPE[,SCOPE][:type=id,id;type=*]; for example jira:READ:project=ABC.`);
  }

  const restrictions: Grant['resources'] = {};
  for (const part of resources.split(';').filter(Boolean)) {
    const [type, ids] = part.split('=');
    if (!type || ids === undefined || ids === '') throw usageError(`--grant "${spec}": resource restriction "${part}" is not type=id,id or type=*.`);
    restrictions[type] = ids === '*' ? '*' : ids.split(',').filter(Boolean);
  }
  return { instance, scopes: scopes.split(',').filter(Boolean), resources: restrictions };
}

/**
 * Finds an account by id, name or client id; the API itself takes only ids. The list search
 * covers names, so a client id falls back to reading every page of the list.
 */
export async function resolveAccountId(client: AdminApiClient, reference: string): Promise<string> {
  if (isUuid(reference)) return reference;

  const matches = (items: Account[]) => items.find((account) => account.name === reference || account.clientId === reference);
  const searched = await client.get<{ items: Account[] }>(`/service-accounts${queryString({ search: reference, limit: 200 })}`);
  let match = matches(searched.items);

  let cursor: string | null | undefined;
  while (!match && cursor !== null) {
    const page: { items: Account[]; nextCursor: string | null } = await client.get(`/service-accounts${queryString({ limit: 200, cursor: cursor ?? undefined })}`);
    match = matches(page.items);
    cursor = page.nextCursor;
  }
  if (!match) throw new CliError(EXIT.notFound, `not_found: no service account has the name or client id "${reference}".`);
  return match.id;
}

interface AccountFlags extends ConnectionFlags {
  name?: string;
  description?: string;
  owner?: string;
  grant?: string[];
  noAccess?: boolean;
  expiresInDays?: number;
}

function accountBody(flags: AccountFlags): Record<string, unknown> {
  if (flags.noAccess && flags.grant) throw usageError('pass either --grant or --no-access, not both.');
  return {
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(flags.description !== undefined ? { description: flags.description } : {}),
    ...(flags.owner !== undefined ? { owner: flags.owner } : {}),
    ...(flags.grant ? { access: flags.grant.map(parseGrant) } : {}),
    ...(flags.noAccess ? { access: [] } : {}),
  };
}

function accountOptions(command: Command): Command {
  return command
    .option('--description <text>', 'what the account is for')
    .option('--owner <owner>', 'team or person responsible for the account')
    .option('--grant <instance:scopes[:resources]>', 'access grant, repeatable, such as jira:READ:project=ABC,DEF; on update it replaces all grants', collect);
}

async function setStatus(flags: ConnectionFlags, reference: string, status: 'active' | 'disabled'): Promise<void> {
  await withClient(flags, async (client) => {
    const id = await resolveAccountId(client, reference);
    const account = await client.request<Account>('PATCH', `/service-accounts/${id}`, { status });
    print(flags, account, () => `Account ${account.name} is now ${account.status}.`);
  });
}

export function registerAccountCommands(program: Command): void {
  const accounts = program.command('accounts').description('List and manage service accounts. An account is named by its id, name or client id.');

  withConnectionOptions(
    accounts
      .command('list')
      .description('List service accounts, 200 at most per page.')
      .option('--search <text>', 'text that the name, description or owner contains')
      .addOption(new Option('--status <status>', 'only accounts with this status').choices(['active', 'disabled']))
      .option('--instance <instance>', 'only accounts with a grant on this instance slug or id')
      .option('--limit <count>', 'accounts per page (1 to 200)', wholeNumber(1, 200))
      .option('--cursor <cursor>', 'the nextCursor of the previous page'),
  ).action((flags: ConnectionFlags & { search?: string; status?: string; instance?: string; limit?: number; cursor?: string }) =>
    withClient(flags, async (client) => {
      const page = await client.get<{ items: Account[]; nextCursor: string | null; total: number }>(
        `/service-accounts${queryString({ search: flags.search, status: flags.status, instance: flags.instance, limit: flags.limit, cursor: flags.cursor })}`,
      );
      print(flags, page, () => [formatTable(page.items, COLUMNS), ...(page.nextCursor ? [`More accounts: --cursor ${page.nextCursor}`] : [])].join('\n'));
    }),
  );

  withConnectionOptions(accounts.command('get <account>').description('Show one service account.')).action((reference: string, flags: ConnectionFlags) =>
    withClient(flags, async (client) => {
      const account = await client.get<Account>(`/service-accounts/${await resolveAccountId(client, reference)}`);
      print(flags, account, () => describe(account));
    }),
  );

  withConnectionOptions(
    accountOptions(accounts.command('create <name>').description('Create a service account with its first credential; the client secret is printed once.')).option(
      '--expires-in-days <days>',
      'lifetime of the first credential in days (default: the policy default)',
      wholeNumber(1, 3650),
    ),
  ).action((name: string, flags: AccountFlags) =>
    withClient(flags, async (client) => {
      const body = { ...accountBody(flags), name, ...(flags.expiresInDays !== undefined ? { credential: { expiresInDays: flags.expiresInDays } } : {}) };
      const created = await client.request<Account & { credential: { id: string; clientSecret: string; expiresAt: string | null } }>('POST', '/service-accounts', body);
      print(flags, created, () =>
        [describe(created), '', `client secret: ${created.credential.clientSecret}`, `credential id: ${created.credential.id}`, 'Store the secret now: the server shows it only once.'].join('\n'),
      );
    }),
  );

  withConnectionOptions(
    accountOptions(accounts.command('update <account>').description('Change a service account.'))
      .option('--name <name>', 'new name')
      .option('--no-access', 'remove every grant'),
  ).action((reference: string, flags: AccountFlags) =>
    withClient(flags, async (client) => {
      const body = accountBody({ ...flags, noAccess: (flags as { access?: boolean }).access === false });
      if (Object.keys(body).length === 0) throw usageError('nothing to change: pass --name, --description, --owner, --grant or --no-access.');
      const account = await client.request<Account>('PATCH', `/service-accounts/${await resolveAccountId(client, reference)}`, body);
      print(flags, account, () => describe(account));
    }),
  );

  withConnectionOptions(accounts.command('disable <account>').description('Disable an account; its tokens stop working at once.')).action((reference: string, flags: ConnectionFlags) =>
    setStatus(flags, reference, 'disabled'),
  );

  withConnectionOptions(accounts.command('enable <account>').description('Enable a disabled account.')).action((reference: string, flags: ConnectionFlags) => setStatus(flags, reference, 'active'));

  withConnectionOptions(accounts.command('delete <account>').description('Delete an account and its credentials.')).action((reference: string, flags: ConnectionFlags) =>
    withClient(flags, async (client) => {
      const id = await resolveAccountId(client, reference);
      await client.request('DELETE', `/service-accounts/${id}`);
      print(flags, { deleted: id }, () => `Deleted account ${reference}.`);
    }),
  );
}
