/**
 * Batches event writes so storage never slows the stream: events are handed to the sink at most
 * `flushMs` after they were accepted, or at once when `maxBatch` are waiting (a batch may be
 * larger after a failed write: everything waiting goes together). One batch is written at a time,
 * so events reach storage in the order they were accepted. A failed write is retried (the events
 * stay queued); `flush()` resolves once everything accepted before it is stored. Storage itself is
 * the sink's business (db/events.ts stores into the events table; app.ts plugs it in).
 */
import type { RunEvent } from "./events.ts";

/** Where batches of events are stored; rejecting means "not stored, try again later". */
export interface EventSink {
  store(batch: RunEvent[]): Promise<void>;
}

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

  constructor(private readonly sink: EventSink, private readonly opts: EventWriterOptions = {}) {
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
      await this.sink.store(batch);
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
