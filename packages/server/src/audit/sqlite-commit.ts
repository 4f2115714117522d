import { closeSync, fdatasync, openSync } from 'node:fs';
import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/tables.js';

function syncFile(descriptor: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(descriptor, (error) => (error ? reject(error) : resolve())));
}

/**
 * Commits audit groups on SQLite without holding the event loop while the disk syncs. The
 * connection runs with synchronous=FULL, whose commit calls fsync on the main thread. A group
 * commit switches to NORMAL, under which a commit in WAL mode writes the WAL without syncing
 * it. It then syncs the WAL file with fdatasync on the thread pool, and only after that do the
 * group's writers learn of the commit. SQLite's documentation of PRAGMA synchronous describes
 * FULL in WAL mode as NORMAL plus a sync of the WAL after each commit, so an acknowledged
 * event is as durable as before.
 */
export class SqliteAuditCommit {
  private walDescriptor: number | null = null;

  /**
   * The first seq that a group committed with NORMAL and whose WAL sync has not succeeded yet,
   * or null. Those events are visible to readers but could vanish in a power loss, and their
   * seqs would then be reused, so nothing may copy them out of the database yet.
   */
  firstUnsyncedSeq: number | null = null;

  /**
   * Set once a WAL sync failed. On Linux a later sync can succeed although the pages of the
   * failed one never reached the disk, so from then on the mark stays until the server restarts.
   */
  private syncFailed = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlite: SQLite.Database,
  ) {}

  /** Runs `work`, which inserts events and returns the first one's seq, in a transaction committed with NORMAL, then syncs the WAL. */
  async commit(work: (trx: Kysely<Database>) => Promise<number>): Promise<void> {
    const unsyncedBefore = this.firstUnsyncedSeq;

    // One connection checkout, so that no other transaction commits with NORMAL. SQLite applies
    // this pragma while preparing it, so it goes through Database.pragma, which prepares anew.
    await this.db.connection().execute(async (connection) => {
      this.sqlite.pragma('synchronous = NORMAL');
      try {
        await connection.transaction().execute(async (trx) => {
          const firstSeq = await work(trx);
          // Set before the commit makes the rows visible, so that no reader sees them unmarked.
          this.firstUnsyncedSeq ??= firstSeq;
        });
      } catch (error) {
        this.firstUnsyncedSeq = unsyncedBefore;
        throw error;
      } finally {
        this.sqlite.pragma('synchronous = FULL');
      }
    });

    try {
      await syncFile(this.wal());
    } catch (error) {
      this.syncFailed = true;
      throw new Error(
        `Syncing the SQLite WAL failed after the audit events committed, so they are in the database but may not survive a crash. ` +
          `Audit sinks and the audit export hold back the events from seq ${this.firstUnsyncedSeq} on until the server restarts. ` +
          `Check the disk that holds the database, then restart. ${String(error)}`,
        { cause: error },
      );
    }
    // The sync covers the whole WAL, so unless an earlier sync failed, every event committed before it is durable now.
    if (!this.syncFailed) this.firstUnsyncedSeq = null;
  }

  /** Returns the WAL file's descriptor, opened on first use because SQLite creates the file with the first write. */
  private wal(): number {
    this.walDescriptor ??= openSync(`${this.sqlite.name}-wal`, 'r');
    return this.walDescriptor;
  }

  /** Returns whether the connection writes a WAL file, which a database in memory or outside WAL mode does not. */
  static applies(sqlite: SQLite.Database): boolean {
    return !sqlite.memory && sqlite.pragma('journal_mode', { simple: true }) === 'wal';
  }

  close(): void {
    if (this.walDescriptor !== null) closeSync(this.walDescriptor);
    this.walDescriptor = null;
  }
}
