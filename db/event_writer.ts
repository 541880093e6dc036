/**
 * Batches event inserts so storage never slows the stream: rows are written at most `flushMs`
 * after they were accepted, or at once when `maxBatch` are waiting. One batch is written at a
 * time, so rows reach the table in the order they were accepted. A failed write is retried (the
 * rows stay queued); `flush()` resolves once everything accepted before it is stored.
 */
import type { Sql } from "./client.ts";
import type { RunEvent } from "../agents/spine/events.ts";
import { insertEvents } from "./events.ts";

export interface EventWriterOptions {
  flushMs?: number;
  maxBatch?: number;
  onError?: (err: unknown, pendingRows: number) => void;
}

export class EventWriter {
  #queue: RunEvent[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();
  /** A write is chained and has not taken its batch yet: later rows join it. */
  #scheduled = false;
  #failures = 0;
  #written = 0;
  readonly #flushMs: number;
  readonly #maxBatch: number;

  constructor(private readonly sql: Sql, private readonly opts: EventWriterOptions = {}) {
    this.#flushMs = opts.flushMs ?? 50;
    this.#maxBatch = opts.maxBatch ?? 500;
  }

  get pending(): number {
    return this.#queue.length;
  }

  get written(): number {
    return this.#written;
  }

  enqueue(ev: RunEvent): void {
    this.#queue.push(ev);
    if (this.#queue.length >= this.#maxBatch) this.#startWrite();
    else this.#timer ??= setTimeout(() => this.#startWrite(), this.#flushMs);
  }

  /** Resolves when every event accepted so far is stored (retrying failed writes). */
  async flush(): Promise<void> {
    while (this.#queue.length > 0) {
      this.#startWrite();
      await this.#writing;
    }
    await this.#writing;
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
    const batch = this.#queue.splice(0, this.#queue.length);
    if (batch.length === 0) return;
    try {
      await insertEvents(this.sql, batch);
      this.#written += batch.length;
      this.#failures = 0;
    } catch (err) {
      // Keep the rows, in order, ahead of anything queued since; retry with backoff.
      this.#queue.unshift(...batch);
      this.#failures++;
      this.opts.onError?.(err, this.#queue.length);
      const backoff = Math.min(5000, 50 * 2 ** this.#failures);
      await new Promise((r) => setTimeout(r, backoff));
      if (!this.#timer) this.#startWrite();
    }
  }
}
