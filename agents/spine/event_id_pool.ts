/**
 * Event ids come from storage (the events table's sequence, via db/events.ts) but an event must
 * carry its id the moment it is published, before it is stored. So ids are reserved in blocks
 * ahead of need; a block costs one round trip, and refilling starts when the pool runs low, off
 * the hot path.
 */

/** Reserves `n` fresh ids, increasing, never handed out before; rejecting means "try again". */
export interface IdSource {
  allocate(n: number): Promise<number[]>;
}

export class EventIdPool {
  #ids: number[] = [];
  #head = 0;
  #refilling: Promise<void> | null = null;
  #waiters: (() => void)[] = [];

  constructor(private readonly source: IdSource, private readonly blockSize = 512) {}

  get available(): number {
    return this.#ids.length - this.#head;
  }

  /** An id now, or null when the pool is empty (a refill is then under way: see `ready`). */
  take(): number | null {
    if (this.available <= this.blockSize / 4) this.#refill();
    return this.#head < this.#ids.length ? this.#ids[this.#head++] : null;
  }

  /** Resolves when at least one id is available. */
  ready(): Promise<void> {
    if (this.available > 0) return Promise.resolve();
    this.#refill();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #refill(): void {
    this.#refilling ??= (async () => {
      for (let attempt = 0;; attempt++) {
        try {
          const fresh = await this.source.allocate(this.blockSize);
          this.#ids = this.#ids.slice(this.#head).concat(fresh);
          this.#head = 0;
          break;
        } catch {
          // Storage is away; emitting runs wait (in order) until it is back.
          await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
        }
      }
      this.#refilling = null;
      for (const wake of this.#waiters.splice(0)) wake();
    })();
  }
}
