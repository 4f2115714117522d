/** A function that returns the value of each key of one batch, from the rows of one query. */
export type BatchAnswer<Key, Value> = (key: Key) => Value;

interface Waiter<Key, Value> {
  key: Key;
  resolve(value: Value): void;
  reject(error: unknown): void;
}

/** The maximum number of keys in one query. Further callers wait for the next query. */
const DEFAULT_MAX_BATCH = 500;

export interface BatchedReadOptions {
  maxBatch?: number;
  /**
   * Runs `start` when the next query should start, such as setImmediate. The query takes the
   * callers waiting at that moment, so callers that arrive until then join it. By default a
   * query starts at once.
   */
  startIn?: (start: () => void) => void;
}

/**
 * Runs one query for the callers that wait together, one query at a time. A caller never gets
 * its value from a query that started before it called: while a query runs, new callers wait
 * for the next one. So each caller sees every change committed before it called, as it would
 * with a query of its own, while a busy node sends one query per round trip instead of one per
 * request.
 */
export class BatchedRead<Key, Value> {
  private waiting: Waiter<Key, Value>[] = [];
  private running = false;
  private readonly maxBatch: number;
  private readonly startIn: ((start: () => void) => void) | undefined;

  constructor(
    private readonly readMany: (keys: Key[]) => Promise<BatchAnswer<Key, Value>>,
    options: BatchedReadOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    this.startIn = options.startIn;
  }

  read(key: Key): Promise<Value> {
    return new Promise<Value>((resolve, reject) => {
      this.waiting.push({ key, resolve, reject });
      if (!this.running) this.runNext();
    });
  }

  private runNext(): void {
    if (this.waiting.length === 0) {
      this.running = false;
      return;
    }
    this.running = true;
    if (this.startIn) this.startIn(this.startQuery);
    else this.startQuery();
  }

  /** Takes the waiting callers and queries for them. An arrow function, so that startIn can call it unbound. */
  private readonly startQuery = (): void => {
    const batch = this.waiting.splice(0, this.maxBatch);

    this.query(batch)
      .then((answer) => answerAll(batch, answer), (error: unknown) => rejectAll(batch, error))
      .finally(() => this.runNext());
  };

  /** Turns a synchronous throw of readMany into a rejection, so that the queue keeps moving. */
  private async query(batch: Waiter<Key, Value>[]): Promise<BatchAnswer<Key, Value>> {
    return this.readMany(batch.map((waiter) => waiter.key));
  }
}

function answerAll<Key, Value>(batch: Waiter<Key, Value>[], answer: BatchAnswer<Key, Value>): void {
  for (const waiter of batch) {
    try {
      waiter.resolve(answer(waiter.key));
    } catch (error) {
      waiter.reject(error);
    }
  }
}

function rejectAll<Key, Value>(batch: Waiter<Key, Value>[], error: unknown): void {
  for (const waiter of batch) waiter.reject(error);
}
