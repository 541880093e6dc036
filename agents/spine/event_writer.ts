/**
 * Ordered, batched writes to storage, so storing never slows the stream. Rows are handed to the
 * sink at most `flushMs` after they were accepted, or at once when `maxBatch` are waiting (a
 * batch takes everything waiting). One batch is written at a time, so rows reach storage in the
 * order they were accepted.
 *
 * What the database says decides what happens to a batch:
 * - A transient failure (connection lost, admin shutdown, a store past `storeTimeoutMs`, anything
 *   not below) keeps the rows queued, in order, and retries them with backoff (50 ms doubling to
 *   5 s) until they are stored.
 * - A permanent one (SQLSTATE class 22 data exception or 23 integrity violation) would fail the
 *   same way forever, so the batch is split until the refused row is found; that row is replaced
 *   by its `placeholder` (for events: same id and seq, so a run's seq stays gap-free) and
 *   reported through `onRejected`; every other row is stored. A refused placeholder (or none) means
 *   the row is dropped, also reported. So one bad row never blocks other rows or other runs.
 *
 * Every accepted row gets a ticket (1, 2, 3…); `whenWritten(ticket)` resolves once that row and
 * every row before it is settled (stored, or replaced/dropped as above) — a run waits for its own
 * last row, not for an empty queue, which under load may never come. Storage itself is the sink's
 * business (db/events.ts and db/llm_calls.ts; app.ts plugs them in).
 */
import { EventType, type RunEvent } from "./events.ts";

/** Where batches are stored; rejecting means "not stored" (transient or permanent, see above). */
export interface BatchSink<T> {
  store(batch: T[]): Promise<void>;
}

export interface WriterOptions<T> {
  flushMs?: number;
  maxBatch?: number;
  /** What is stored instead of a row the database refuses for good; null drops it. */
  placeholder?: (row: T, error: unknown) => T | null;
  /** A transient failure; the rows stay queued. */
  onError?: (error: unknown, pendingRows: number) => void;
  /** A row refused for good: `replaced` says whether its placeholder was stored. */
  onRejected?: (row: T, error: unknown, replaced: boolean) => void;
  /** Decides "permanent"; default: SQLSTATE class 22 or 23 in the error's `code`. */
  isPermanent?: (error: unknown) => boolean;
  /**
   * A store that has not settled after this long counts as a transient failure (StoreTimeoutError)
   * and is retried — the sink must be idempotent (ours insert ON CONFLICT DO NOTHING) — after
   * `onStoreTimeout` (app.ts replaces the connection pool: a connection whose peer vanished
   * never answers, and TCP does not notice for many minutes). Default: no limit.
   */
  storeTimeoutMs?: number;
  onStoreTimeout?: () => void;
}

/** A store that did not settle within `storeTimeoutMs`: transient, the rows are retried. */
export class StoreTimeoutError extends Error {
  readonly code = "STORE_TIMEOUT";
}

/** SQLSTATE class 22 (data exception) or 23 (integrity constraint violation). */
export function isPermanentDbError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^2[23][0-9A-Z]{3}$/.test(code);
}

interface Waiter {
  ticket: number;
  resolve: () => void;
}

export class BatchWriter<T> {
  #queue: T[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();
  /** A write is chained and has not taken its batch yet: later rows join it. */
  #scheduled = false;
  #failures = 0;
  #accepted = 0;
  #settled = 0;
  #written = 0;
  #rejected = 0;
  #waiters: Waiter[] = [];
  readonly #flushMs: number;
  readonly #maxBatch: number;
  readonly #isPermanent: (error: unknown) => boolean;

  constructor(private readonly sink: BatchSink<T>, private readonly opts: WriterOptions<T> = {}) {
    this.#flushMs = opts.flushMs ?? 50;
    this.#maxBatch = opts.maxBatch ?? 500;
    this.#isPermanent = opts.isPermanent ?? isPermanentDbError;
  }

  /** Rows accepted and not yet settled. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Rows stored as they were. */
  get written(): number {
    return this.#written;
  }

  /** Rows refused for good (stored as placeholders or dropped). */
  get rejected(): number {
    return this.#rejected;
  }

  /** Queues a row; returns its ticket for `whenWritten`. */
  enqueue(row: T): number {
    this.#queue.push(row);
    if (this.#queue.length >= this.#maxBatch) this.#startWrite();
    else this.#timer ??= setTimeout(() => this.#startWrite(), this.#flushMs);
    return ++this.#accepted;
  }

  /** Resolves once the row with this ticket, and every earlier one, is settled. */
  whenWritten(ticket: number): Promise<void> {
    if (ticket <= this.#settled) return Promise.resolve();
    this.#startWrite();
    return new Promise((resolve) => this.#waiters.push({ ticket, resolve }));
  }

  /** Resolves when every row accepted so far is settled (retrying failed writes). */
  flush(): Promise<void> {
    return this.whenWritten(this.#accepted);
  }

  #startWrite(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#writing = this.#writing.then(() => this.#writeBatch());
  }

  async #writeBatch(): Promise<void> {
    this.#scheduled = false;
    // Everything waiting goes together (after an outage, too: the sink splits big inserts).
    const n = this.#queue.length;
    if (n === 0) return;
    try {
      await this.#storeHead(n);
      this.#failures = 0;
    } catch (err) {
      // The unsettled rows are still at the head, in order, ahead of anything queued since.
      this.#failures++;
      this.opts.onError?.(err, this.#queue.length);
      const backoff = Math.min(5000, 50 * 2 ** this.#failures);
      await new Promise((r) => setTimeout(r, backoff));
    }
    if (this.#queue.length > 0) this.#startWrite();
  }

  /** Stores the first `n` queued rows (settling them); throws on a transient failure. */
  async #storeHead(n: number): Promise<void> {
    try {
      await this.#store(this.#queue.slice(0, n));
    } catch (err) {
      if (!this.#isPermanent(err)) throw err;
      if (n === 1) return await this.#replaceHead(err);
      const half = n >> 1;
      await this.#storeHead(half);
      return await this.#storeHead(n - half);
    }
    this.#written += n;
    this.#settle(n);
  }

  async #replaceHead(error: unknown): Promise<void> {
    const row = this.#queue[0];
    const stand = this.opts.placeholder?.(row, error) ?? null;
    let replaced = false;
    if (stand !== null) {
      try {
        await this.#store([stand]);
        replaced = true;
      } catch (err) {
        if (!this.#isPermanent(err)) throw err;
      }
    }
    this.#rejected++;
    this.#settle(1);
    this.opts.onRejected?.(row, error, replaced);
  }

  /** The sink's store, under `storeTimeoutMs`. */
  async #store(rows: T[]): Promise<void> {
    const ms = this.opts.storeTimeoutMs;
    if (ms === undefined) return await this.sink.store(rows);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const storing = this.sink.store(rows);
    const late = new Promise<"late">((r) => timer = setTimeout(() => r("late"), ms));
    try {
      if ((await Promise.race([storing, late])) !== "late") return;
    } finally {
      clearTimeout(timer);
    }
    storing.catch(() => {}); // whatever it comes to, the rows are retried
    this.opts.onStoreTimeout?.();
    throw new StoreTimeoutError(`storing ${rows.length} rows took over ${ms} ms`);
  }

  #settle(n: number): void {
    this.#queue.splice(0, n);
    this.#settled += n;
    if (this.#waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.ticket <= this.#settled) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
  }
}

/**
 * What is stored for an event the database refused: the same id, run and seq, and an event of
 * the same kind where that matters (a terminal event stays terminal, so a stream read back from
 * storage still ends), otherwise a `glassbox.unstorable` CUSTOM event naming the original type.
 */
export function placeholderEvent(ev: RunEvent, error: unknown): RunEvent {
  const reason = `event could not be stored: ${errorText(error)}`;
  const { event } = ev;
  const timestamp = event.timestamp;
  const stand = event.type === EventType.RUN_FINISHED
    ? { type: event.type, threadId: event.threadId, runId: event.runId, timestamp }
    : event.type === EventType.RUN_ERROR
    ? { type: event.type, message: reason, code: "unstorable", timestamp }
    : {
      type: EventType.CUSTOM,
      name: "glassbox.unstorable",
      value: { type: event.type, reason },
      timestamp,
    };
  return { ...ev, event: stand as RunEvent["event"] };
}

function errorText(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? `${e.code} ` : "";
  const message = typeof e?.message === "string" ? e.message : String(error);
  return `${code}${message}`.toWellFormed().replaceAll("\0", "\uFFFD").slice(0, 200);
}

/** The events table's writer: refused events are stored as their placeholder. */
export class EventWriter extends BatchWriter<RunEvent> {
  constructor(sink: BatchSink<RunEvent>, opts: Omit<WriterOptions<RunEvent>, "placeholder"> = {}) {
    super(sink, { ...opts, placeholder: placeholderEvent });
  }
}

/** Where batches of events are stored. */
export type EventSink = BatchSink<RunEvent>;
