import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { type Command, Option } from 'commander';
import { queryString, wholeNumber } from './arguments.js';
import { type ConnectionFlags, withClient, withConnectionOptions } from './connection.js';
import { CliError, EXIT } from './errors.js';
import { type Column, formatTable, print } from './output.js';

interface AuditEvent {
  id: string;
  occurredAt: string;
  actor: { type: string; id: string | null; name: string | null; credentialId: string | null };
  action: string;
  target: { type: string; id: string; name: string | null } | null;
  outcome: string;
  reason: string | null;
}

const COLUMNS: Column<AuditEvent>[] = [
  { header: 'id', value: (row) => row.id },
  { header: 'time', value: (row) => row.occurredAt },
  { header: 'actor', value: (row) => `${row.actor.type}:${row.actor.name ?? row.actor.id ?? '-'}` },
  { header: 'action', value: (row) => row.action },
  { header: 'target', value: (row) => (row.target ? `${row.target.type}:${row.target.name ?? row.target.id}` : null) },
  { header: 'outcome', value: (row) => (row.reason ? `${row.outcome} (${row.reason})` : row.outcome) },
];

interface FilterFlags extends ConnectionFlags {
  account?: string;
  actor?: string;
  action?: string;
  target?: string;
  instance?: string;
  outcome?: string;
  from?: string;
  to?: string;
}

function filterOptions(command: Command): Command {
  return command
    .option('--account <id>', 'events about this service account id')
    .option('--actor <actor>', "events by this actor: an admin's username, an account's name or client id, or an id")
    .option('--action <action>', 'an exact action such as credential.revoked, or a prefix such as credential.*')
    .option('--target <id>', 'events about this target id')
    .option('--instance <instance>', 'events about this instance slug or id')
    .addOption(new Option('--outcome <outcome>', 'only successes or failures').choices(['success', 'failure']))
    .option('--from <time>', 'events at or after this RFC 3339 time, such as 2026-01-31T00:00:00Z')
    .option('--to <time>', 'events before this RFC 3339 time');
}

function filterQuery(flags: FilterFlags) {
  const { account, actor, action, target, instance, outcome, from, to } = flags;
  return { account, actor, action, target, instance, outcome, from, to };
}

/** Counts the bytes and lines passing through, and reports them on stderr as the export runs. */
class ProgressCounter extends Transform {
  bytes = 0;
  lines = 0;
  private lastReport = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.bytes += chunk.length;
    for (const byte of chunk) if (byte === 0x0a) this.lines++;
    const now = Date.now();
    if (now - this.lastReport >= 1000) {
      this.lastReport = now;
      process.stderr.write(`${process.stderr.isTTY ? '\r' : ''}exported ${this.lines} lines, ${this.bytes} bytes${process.stderr.isTTY ? '' : '\n'}`);
    }
    this.push(chunk);
    done();
  }
}

export function registerRemoteAuditCommands(audit: Command): void {
  withConnectionOptions(
    filterOptions(
      audit
        .command('search')
        .description('Search the audit log on the server, newest first.')
        .option('--limit <count>', 'events per page (1 to 200)', wholeNumber(1, 200))
        .option('--cursor <cursor>', 'the nextCursor of the previous page'),
    ),
  ).action((flags: FilterFlags & { limit?: number; cursor?: string }) =>
    withClient(flags, async (client) => {
      const page = await client.get<{ items: AuditEvent[]; nextCursor: string | null }>(`/audit-events${queryString({ ...filterQuery(flags), limit: flags.limit, cursor: flags.cursor })}`);
      print(flags, page, () => [formatTable(page.items, COLUMNS), ...(page.nextCursor ? [`More events: --cursor ${page.nextCursor}`] : [])].join('\n'));
    }),
  );

  withConnectionOptions(
    filterOptions(
      audit
        .command('export')
        .description('Stream the filtered audit log from the server into a file, newest first, with progress on stderr.')
        .addOption(new Option('--format <format>', 'jsonl (one event per line) or csv (with a header line)').choices(['jsonl', 'csv']).default('jsonl'))
        .requiredOption('-o, --output <file>', 'file to write; it appears only once the export is complete'),
    ),
  ).action((flags: FilterFlags & { format: string; output: string }) =>
    withClient(flags, async (client) => {
      const response = await client.send('GET', `/audit-events/export${queryString({ ...filterQuery(flags), format: flags.format })}`);
      if (!response.body) throw new CliError(EXIT.failed, 'the server sent an empty export.');

      // Written beside the target and renamed at the end, so that a failed export leaves no partial file under the real name.
      const partial = `${flags.output}.partial`;
      const counter = new ProgressCounter();
      try {
        await pipeline(Readable.fromWeb(response.body as ReadableStream<Uint8Array>), counter, createWriteStream(partial));
        await rename(partial, flags.output);
      } catch (error) {
        await rm(partial, { force: true });
        if (error instanceof CliError) throw error;
        throw new CliError(EXIT.failed, `export to ${flags.output} failed: ${(error as Error).message}`, { cause: error });
      }

      if (process.stderr.isTTY) process.stderr.write('\n');
      const summary = { file: flags.output, format: flags.format, lines: counter.lines, bytes: counter.bytes };
      print(flags, summary, () => `Wrote ${counter.lines} lines (${counter.bytes} bytes) of ${flags.format} to ${flags.output}.`);
    }),
  );
}
