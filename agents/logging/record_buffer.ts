/**
 * Batches records for storage off the request path: a batch goes out `flushMs` after its first
 * record, or at once when `maxBatch` are waiting; one write at a time. Unlike the spine's event
 * writer it is bounded: these are diagnostics, so while storage is down it keeps the newest
 * `maxPending` records and counts what it dropped, rather than growing without end.
 */
export interface RecordBufferOptions<T> {
  store(batch: T[]): Promise<void>;
  flushMs?: number;
  maxBatch?: number;
  maxPending?: number;
  onError?: (err: unknown, pending: number) => void;
}

export class RecordBuffer<T> {
  #queue: T[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> | null = null;
  /** Records of the write in flight. */
  #inFlight = 0;
  #failures = 0;
  #dropped = 0;
  readonly #flushMs: number;
  readonly #maxBatch: number;
  readonly #maxPending: number;

  constructor(private readonly opts: RecordBufferOptions<T>) {
    this.#flushMs = opts.flushMs ?? 250;
    this.#maxBatch = opts.maxBatch ?? 500;
    this.#maxPending = opts.maxPending ?? 20_000;
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Records accepted and not stored yet: queued, and in the write in flight. */
  get unstored(): number {
    return this.#queue.length + this.#inFlight;
  }

  /** Records thrown away because storage could not keep up. */
  get dropped(): number {
    return this.#dropped;
  }

  add(record: T): void {
    this.#queue.push(record);
    if (this.#queue.length > this.#maxPending) {
      this.#queue.shift();
      this.#dropped++;
    }
    if (this.#writing) return;
    if (this.#queue.length >= this.#maxBatch) this.#write();
    else this.#timer ??= setTimeout(() => this.#write(), this.#flushMs);
  }

  /** Resolves once everything added so far is stored, or at the first failed write. */
  async flush(): Promise<void> {
    if (this.#writing) await this.#writing;
    while (this.#queue.length > 0) {
      const failures = this.#failures;
      await this.#write();
      if (this.#failures > failures) return;
    }
  }

  #write(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#writing) return this.#writing;
    const batch = this.#queue.splice(0, this.#maxBatch);
    this.#inFlight = batch.length;
    this.#writing = this.opts.store(batch).then(
      () => {
        this.#failures = 0;
      },
      (err) => {
        // Back in front, oldest first; still bounded by add().
        this.#queue.unshift(...batch);
        const over = this.#queue.length - this.#maxPending;
        if (over > 0) {
          this.#queue.splice(0, over);
          this.#dropped += over;
        }
        this.#failures++;
        this.opts.onError?.(err, this.#queue.length);
      },
    ).finally(() => {
      this.#writing = null;
      this.#inFlight = 0;
      if (this.#queue.length === 0) return;
      const wait = this.#failures === 0 ? 0 : Math.min(10_000, 100 * 2 ** this.#failures);
      this.#timer ??= setTimeout(() => this.#write(), wait);
    });
    return this.#writing;
  }

  /** Stops the timer; what is still queued is dropped (call flush() first to keep it). */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
