import type { Command } from 'commander';
import { wholeNumber } from './arguments.js';
import { type ConnectionFlags, withClient, withConnectionOptions } from './connection.js';
import { type Column, formatRecord, formatTable, print } from './output.js';

interface SigningKey {
  kid: string;
  alg: string;
  state: string;
  activatesAt: string;
  retiresAt: string | null;
  unpublishesAt: string | null;
}

const COLUMNS: Column<SigningKey>[] = [
  { header: 'kid', value: (row) => row.kid },
  { header: 'alg', value: (row) => row.alg },
  { header: 'state', value: (row) => row.state },
  { header: 'activates', value: (row) => row.activatesAt },
  { header: 'retires', value: (row) => row.retiresAt },
];

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('List and rotate the token signing keys.');

  withConnectionOptions(keys.command('list').description('List the published signing keys; private parts never leave the server.')).action((flags: ConnectionFlags) =>
    withClient(flags, async (client) => {
      const page = await client.get<{ items: SigningKey[] }>('/signing-keys');
      print(flags, page, () => formatTable(page.items, COLUMNS));
    }),
  );

  withConnectionOptions(
    keys
      .command('rotate')
      .description('Create a new signing key, published now and used for signing after the delay.')
      .option('--activate-in <seconds>', 'delay before the new key signs tokens, in seconds (default: the server setting)', wholeNumber(0, 86400)),
  ).action((flags: ConnectionFlags & { activateIn?: number }) =>
    withClient(flags, async (client) => {
      const key = await client.request<SigningKey>('POST', '/signing-keys/rotate', flags.activateIn !== undefined ? { activateInSeconds: flags.activateIn } : {});
      print(flags, key, () => formatRecord([['kid', key.kid], ['alg', key.alg], ['state', key.state], ['activates', key.activatesAt]]));
    }),
  );
}
