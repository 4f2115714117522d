import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type ApplyFile, FileError, loadApplyFile } from './apply-file.js';
import { AdminApiClient, ApiError, ConnectionError } from './apply-http.js';
import { type PlanItem, computePlan, formatPlanItem, isFileProblem, locate, summarisePlan } from './apply-plan.js';

/** Exit codes: 0 success (also when nothing changed), 1 the run failed, 2 usage error or an invalid file. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

interface ApplyFlags {
  file: string;
  server: string;
  username: string;
  dryRun?: boolean;
  prune?: boolean;
  secretsOut?: string;
}

interface NewSecret {
  name: string;
  id: string;
  clientId: string;
  credentialId: string;
  clientSecret: string;
  expiresAt: string | null;
}

class UsageError extends Error {}

function checkServerUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--server "${raw}" is not a URL; use the server's base URL, such as http://127.0.0.1:8080.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--server "${raw}" must be an http or https URL.`);
  return url.href.replace(/\/+$/, '');
}

/**
 * Makes the changes of a plan in order: instances, then the policy, then accounts, and
 * deletions last, accounts before instances, since an instance with grants cannot go.
 * Creates carry an idempotency key made for this run. A create retried after a lost response
 * thus returns the first result, secret included, and never makes a second object. A new
 * run plans again from what the server holds, so it does not repeat a create either.
 */
async function applyPlan(client: AdminApiClient, plan: PlanItem[], secrets: NewSecret[]): Promise<void> {
  const runId = randomUUID();
  const order = (item: PlanItem) => (item.action === 'delete' ? 3 + (item.kind === 'account' ? 0 : 1) : { instance: 0, policy: 1, account: 2 }[item.kind]);
  const steps = plan.filter((item) => item.action !== 'unchanged').sort((a, b) => order(a) - order(b));

  for (const [index, item] of steps.entries()) {
    const key = `tessera-apply-${runId}-${index}`;
    const where = (error: unknown) => locate(error, item.path);

    if (item.kind === 'instance' && item.action === 'create') {
      await client.request('POST', '/instances', item.body, { idempotencyKey: key }).catch(where);
    } else if (item.kind === 'instance' && item.action === 'update') {
      await client.request('PATCH', `/instances/${encodeURIComponent(item.id!)}`, item.body).catch(where);
    } else if (item.kind === 'policy') {
      await client.request('PUT', '/policy', item.body).catch(where);
    } else if (item.kind === 'account' && item.action === 'create') {
      const created = await client.request('POST', '/service-accounts', item.body, { idempotencyKey: key }).catch(where);
      const body = created.body;
      secrets.push({ name: body.name, id: body.id, clientId: body.clientId, credentialId: body.credential.id, clientSecret: body.credential.clientSecret, expiresAt: body.credential.expiresAt });
    } else if (item.kind === 'account' && item.action === 'update') {
      await client.request('PUT', `/service-accounts/${encodeURIComponent(item.id!)}`, item.body).catch(where);
    } else if (item.action === 'delete') {
      await client.request('DELETE', `/${item.kind === 'account' ? 'service-accounts' : 'instances'}/${encodeURIComponent(item.id!)}`);
    }
    console.log(`applied: ${formatPlanItem(item)}`);
  }
}

/** Hands out the secrets of new accounts: into a file readable only by its owner, or printed once. */
function writeSecrets(secrets: NewSecret[], secretsOut: string | undefined): void {
  if (secrets.length === 0) return;

  if (secretsOut) {
    try {
      writeFileSync(secretsOut, `${JSON.stringify({ accounts: secrets }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      console.log(`Wrote the client secrets of ${secrets.length} new account(s) to ${secretsOut}.`);
      return;
    } catch (error) {
      console.error(`tessera apply: writing ${secretsOut} failed (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}), so the secrets follow here.`);
    }
  }
  console.log('\nClient secrets of the new accounts, shown only now; store them in a secret store:');
  for (const secret of secrets) console.log(`  ${secret.name}: client_id=${secret.clientId} client_secret=${secret.clientSecret}`);
}

function reportError(error: unknown): number {
  if (error instanceof UsageError) {
    console.error(`tessera apply: ${error.message}`);
    return EXIT_USAGE;
  }
  if (error instanceof FileError) {
    console.error(`tessera apply: invalid file: ${error.message}`);
    return EXIT_USAGE;
  }
  if (error instanceof ApiError) {
    const path = (error as ApiError & { filePath?: string }).filePath;
    if (isFileProblem(error)) {
      console.error(`tessera apply: invalid file: ${path ? `${path}: ` : ''}${error.problem.detail ?? error.message}`);
      return EXIT_USAGE;
    }
    console.error(`tessera apply: ${path ? `${path}: ` : ''}${error.message}`);
    return EXIT_FAILED;
  }
  if (error instanceof ConnectionError) {
    console.error(`tessera apply: ${error.message}`);
    return EXIT_FAILED;
  }
  console.error(`tessera apply: ${(error as Error).stack ?? String(error)}`);
  return EXIT_FAILED;
}

async function runApply(flags: ApplyFlags): Promise<number> {
  const secrets: NewSecret[] = [];
  let client: AdminApiClient | undefined;
  try {
    const server = checkServerUrl(flags.server);
    const password = process.env.TESSERA_PASSWORD;
    if (!password) throw new UsageError('set the admin password in the TESSERA_PASSWORD environment variable; it has no flag, so that it stays out of the process list.');
    if (flags.secretsOut && existsSync(flags.secretsOut)) throw new UsageError(`--secrets-out ${flags.secretsOut} exists already; name a new file, so that no earlier secret is overwritten.`);
    const file: ApplyFile = loadApplyFile(flags.file);

    client = new AdminApiClient(server);
    await client.signIn(flags.username, password);
    const plan = await computePlan(client, file, Boolean(flags.prune));
    for (const item of plan) console.log(formatPlanItem(item));
    console.log(summarisePlan(plan));

    if (flags.dryRun) {
      console.log('Dry run: nothing was changed.');
      return 0;
    }
    if (plan.every((item) => item.action === 'unchanged')) return 0;
    await applyPlan(client, plan, secrets);
    console.log('Apply complete.');
    return 0;
  } catch (error) {
    return reportError(error);
  } finally {
    // Secrets of accounts created before a failure are handed out too; they exist nowhere else.
    writeSecrets(secrets, flags.secretsOut);
    await client?.signOut();
  }
}

/** Adds `tessera apply` to the CLI. */
export function registerApplyCommand(program: Command): void {
  program
    .command('apply')
    .description('Converge the server on a file of instances, policy and accounts: print the plan, then make the changes. The admin password comes from TESSERA_PASSWORD.')
    .requiredOption('-f, --file <path>', 'JSON (.json) or YAML file that describes the desired instances, policy and accounts')
    .option('--server <url>', 'base URL of the Tessera server (env TESSERA_URL)', process.env.TESSERA_URL ?? 'http://127.0.0.1:8080')
    .option('--username <name>', 'admin to sign in as (env TESSERA_USERNAME)', process.env.TESSERA_USERNAME ?? 'admin')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--prune', 'also delete accounts and instances that the file does not list, in the sections the file has')
    .option('--secrets-out <path>', 'write the client secrets of new accounts to this new file (mode 0600) instead of printing them')
    .action(async (flags: ApplyFlags) => {
      process.exitCode = await runApply(flags);
    });
}
