import type { Command } from 'commander';
import { resolveAccountId } from './accounts.js';
import { wholeNumber } from './arguments.js';
import { type ConnectionFlags, withClient, withConnectionOptions } from './connection.js';
import { type Column, formatRecord, formatTable, print } from './output.js';

interface Credential {
  id: string;
  status: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  replacedBy: string | null;
}

const COLUMNS: Column<Credential>[] = [
  { header: 'id', value: (row) => row.id },
  { header: 'status', value: (row) => row.status },
  { header: 'created', value: (row) => row.createdAt },
  { header: 'expires', value: (row) => row.expiresAt },
  { header: 'last used', value: (row) => row.lastUsedAt },
  { header: 'replaced by', value: (row) => row.replacedBy },
];

function describe(credential: Credential): [string, unknown][] {
  return [
    ['id', credential.id],
    ['status', credential.status],
    ['created', credential.createdAt],
    ['expires', credential.expiresAt],
    ['revoked', credential.revokedAt],
  ];
}

/** Formats a new credential with its secret, and a reminder that the server shows the secret only once. */
function secretText(credential: Credential & { clientSecret: string }, extra: [string, unknown][] = []): string {
  return [formatRecord([...describe(credential), ...extra]), '', `client secret: ${credential.clientSecret}`, 'Store the secret now: the server shows it only once.'].join('\n');
}

export function registerCredentialCommands(program: Command): void {
  const credentials = program.command('credentials').description("Manage a service account's credentials. The account is named by its id, name or client id.");

  withConnectionOptions(credentials.command('list <account>').description("List an account's credentials, without secrets.")).action((reference: string, flags: ConnectionFlags) =>
    withClient(flags, async (client) => {
      const page = await client.get<{ items: Credential[] }>(`/service-accounts/${await resolveAccountId(client, reference)}/credentials`);
      print(flags, page, () => formatTable(page.items, COLUMNS));
    }),
  );

  withConnectionOptions(
    credentials
      .command('create <account>')
      .description('Add a credential to an account; the client secret is printed once.')
      .option('--expires-in-days <days>', 'lifetime in days (default: the policy default)', wholeNumber(1, 3650)),
  ).action((reference: string, flags: ConnectionFlags & { expiresInDays?: number }) =>
    withClient(flags, async (client) => {
      const body = flags.expiresInDays !== undefined ? { expiresInDays: flags.expiresInDays } : {};
      const created = await client.request<Credential & { clientSecret: string }>('POST', `/service-accounts/${await resolveAccountId(client, reference)}/credentials`, body);
      print(flags, created, () => secretText(created));
    }),
  );

  withConnectionOptions(
    credentials
      .command('rotate <account> <credential>')
      .description('Replace a credential with a new one; the old secret keeps working for the grace period.')
      .option('--grace-period <seconds>', 'how long the old secret stays valid, in seconds (default 86400, at most 604800)', wholeNumber(0, 604800))
      .option('--expires-in-days <days>', 'lifetime of the new credential in days (default: that of the old one)', wholeNumber(1, 3650)),
  ).action((reference: string, credentialId: string, flags: ConnectionFlags & { gracePeriod?: number; expiresInDays?: number }) =>
    withClient(flags, async (client) => {
      const body = {
        ...(flags.gracePeriod !== undefined ? { gracePeriodSeconds: flags.gracePeriod } : {}),
        ...(flags.expiresInDays !== undefined ? { expiresInDays: flags.expiresInDays } : {}),
      };
      const path = `/service-accounts/${await resolveAccountId(client, reference)}/credentials/${encodeURIComponent(credentialId)}/rotate`;
      const rotated = await client.request<Credential & { clientSecret: string; previous: Credential }>('POST', path, body);
      print(flags, rotated, () => secretText(rotated, [['previous expires', rotated.previous.expiresAt]]));
    }),
  );

  withConnectionOptions(credentials.command('revoke <account> <credential>').description('Revoke a credential; its tokens stop working at once.')).action(
    (reference: string, credentialId: string, flags: ConnectionFlags) =>
      withClient(flags, async (client) => {
        const revoked = await client.request<Credential>('DELETE', `/service-accounts/${await resolveAccountId(client, reference)}/credentials/${encodeURIComponent(credentialId)}`);
        print(flags, revoked, () => formatRecord(describe(revoked)));
      }),
  );
}
