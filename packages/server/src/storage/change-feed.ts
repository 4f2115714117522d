import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import pg from 'pg';
import type { Database } from './tables.js';

/** Topics that nodes announce to each other when shared state changes. */
export type ChangeTopic = 'signing_keys';

/**
 * Tells the other nodes of a cluster that shared state changed, so that they reload it. On
 * SQLite there is one node, so a change is delivered in-process only.
 */
export interface ChangeFeed {
  publish(topic: ChangeTopic): Promise<void>;
  subscribe(handler: (topic: ChangeTopic) => void): void;
  close(): Promise<void>;
}

const CHANNEL = 'tessera_changes';

export class LocalChangeFeed implements ChangeFeed {
  private readonly handlers: ((topic: ChangeTopic) => void)[] = [];

  async publish(topic: ChangeTopic): Promise<void> {
    for (const handler of this.handlers) handler(topic);
  }

  subscribe(handler: (topic: ChangeTopic) => void): void {
    this.handlers.push(handler);
  }

  async close(): Promise<void> {}
}

/**
 * PostgreSQL LISTEN/NOTIFY on one dedicated connection. When that connection breaks, it
 * reconnects with backoff, and announces a change of every topic after reconnecting, because
 * notifications sent meanwhile are lost.
 */
export class PostgresChangeFeed implements ChangeFeed {
  private readonly handlers: ((topic: ChangeTopic) => void)[] = [];
  private client: pg.Client | undefined;
  private closed = false;
  private retryDelayMs = 500;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly db: Kysely<Database>,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  async publish(topic: ChangeTopic): Promise<void> {
    await sql`select pg_notify(${CHANNEL}, ${topic})`.execute(this.db);
  }

  subscribe(handler: (topic: ChangeTopic) => void): void {
    this.handlers.push(handler);
  }

  private deliver(topic: ChangeTopic): void {
    for (const handler of this.handlers) handler(topic);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'tessera-changes' });
    client.on('notification', (message) => {
      if (message.channel === CHANNEL && message.payload) this.deliver(message.payload as ChangeTopic);
    });
    client.on('error', (error) => {
      if (client === this.client) this.logger.warn({ err: error }, 'the change feed connection failed; reconnecting');
      this.onConnectionLost(client);
    });
    client.on('end', () => this.onConnectionLost(client));

    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    this.retryDelayMs = 500;
  }

  private onConnectionLost(client: pg.Client): void {
    if (this.closed || client !== this.client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;

    this.retryTimer = setTimeout(async () => {
      this.retryTimer = undefined;
      try {
        await this.connect();
        this.logger.info('the change feed reconnected');
        this.deliver('signing_keys');
      } catch (error) {
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, 30_000);
        this.logger.warn({ err: error, retryInMs: this.retryDelayMs }, 'reconnecting the change feed failed');
        this.scheduleReconnect();
      }
    }, this.retryDelayMs);
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.client?.end().catch(() => undefined);
  }
}
