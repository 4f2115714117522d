import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type LastUse, writeLastUses } from '../storage/last-used.js';
import type { Database } from '../storage/tables.js';

/**
 * Keeps the latest use of each credential in memory and writes them in one batch on an
 * interval, so a token request costs no database write for last-used data. Reads merge the
 * pending values, so the API shows a use at once even before it is written.
 */
export class LastUsedTracker {
  private pending = new Map<string, LastUse>();
  private pendingByAccount = new Map<string, LastUse>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: Logger,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  record(use: LastUse): void {
    const previous = this.pending.get(use.credentialId);
    if (!previous || previous.at <= use.at) this.pending.set(use.credentialId, use);

    const previousForAccount = this.pendingByAccount.get(use.accountId);
    if (!previousForAccount || previousForAccount.at <= use.at) this.pendingByAccount.set(use.accountId, use);
  }

  /** Credentials whose latest use is not yet written to the database. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Returns the use of a credential not yet written to the database. */
  pendingForCredential(credentialId: string): LastUse | undefined {
    return this.pending.get(credentialId);
  }

  pendingForAccount(accountId: string): LastUse | undefined {
    return this.pendingByAccount.get(accountId);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;

    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.pendingByAccount = new Map();
    try {
      await writeLastUses(this.db, batch);
    } catch (error) {
      // Put the batch back unless a newer use arrived meanwhile; the next interval retries.
      for (const use of batch) this.record(use);
      this.logger.warn({ err: error, credentials: batch.length }, 'writing last-used times failed; retrying on the next interval');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
