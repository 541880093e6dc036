/**
 * The subscribers of one topic that share one encoding, and the coalescing of their writes.
 * Internal to event_hub.ts. Coalescing is per GROUP, not per subscriber: waiting events become ONE
 * concatenated chunk shared by every subscriber of the group (one concat instead of N, one buffer
 * in memory instead of N copies); only a subscriber that joined while events were waiting, or
 * whose history overlaps them, gets its own slice.
 *
 * Writes are clocked by what sending costs, measured: a write is "in flight" until every
 * subscriber whose stream was waiting for it has come back for more (its pull(): Deno.serve has
 * taken the bytes). Events published meanwhile wait and go out as ONE write when it lands — so at
 * 5,000 viewers a write carries what arrived during the previous one instead of each event paying
 * the whole fan-out. A write is never held back longer than the hub's maxWaitMs for a stream that
 * does not come back (its socket is full: the cut-off's business), nor sooner than minWaitMs
 * after the previous one (a cheap fan-out still batches bursts).
 */
import type { RunEvent } from "./events.ts";

/** Bytes to send for an event in one encoding; null: nothing to send in that encoding. Pass the
 * SAME function object for the same encoding: subscribers are grouped by encoder identity. */
export type Encoder = (ev: RunEvent) => Uint8Array | null;

export interface Sub {
  ctrl: ReadableStreamDefaultController<Uint8Array>;
  group: SubscriberGroup;
  /** Live events with id <= floor were already sent as history (or are before afterId). */
  floor: number;
  /** Leading entries of group.pending that were published before this subscriber joined. */
  skip: number;
  closeAfterTerminal: boolean;
  maxQueuedBytes: number;
  /** performance.now() when cut off, for reaping. */
  cutAt: number;
  /** Its stream asked for more (pull) since the last enqueue: the reader is waiting. */
  waiting: boolean;
  /** The write it has not come back from yet (a group's write number), 0: none. */
  inWrite: number;
  /** The subscriber's label (SubscribeOptions.label), for the hub's per-topic counts. */
  label: string;
}

/** What the hub does for a group: capped writes (false: the subscriber was cut off) and ends. */
export interface Sink {
  write(s: Sub, bytes: Uint8Array): boolean;
  end(s: Sub): void;
}

interface Pending {
  id: number;
  bytes: Uint8Array;
  terminal: boolean;
}

/** A topic's history as sent to new subscribers in this encoding (events 0..count-1 of it). */
export interface EncodedHistory {
  firstId: number;
  lastId: number;
  count: number;
  bytes: Uint8Array;
}

export interface Clocking {
  minWaitMs: number;
  maxWaitMs: number;
  /** What waits goes out once it is this large, landed or not (a subscriber's cap: waiting
   * longer could only let a stuck one pile up more before the cap cuts it off). */
  maxPendingBytes: number;
}

export class SubscriberGroup {
  readonly subs = new Set<Sub>();
  /** The history the latest joiner got, for the next one (event_hub.ts #encodeHistory). */
  history: EncodedHistory | undefined;
  /** Events waiting for the flush, in publish order. */
  #pending: Pending[] = [];
  #pendingBytes = 0;
  /** Number of the latest write; subscribers counted in it carry it in `inWrite`. */
  #write = 0;
  /** Subscribers of the latest write that have not come back for more. */
  #outstanding = 0;
  /** performance.now() when the latest write started; -Infinity: none since the group was idle. */
  #writeAt = -Infinity;

  constructor(
    readonly topic: string,
    readonly encoder: Encoder,
    readonly sink: Sink,
    readonly clock: Clocking,
  ) {}

  /** Where a new subscriber starts in the pending list (it must not get earlier events). */
  get pendingLength(): number {
    return this.#pending.length;
  }

  /** Events wait for the flush, or the latest write has not landed everywhere it was awaited. */
  get sending(): boolean {
    return this.#outstanding > 0 || this.#pending.length > 0;
  }

  /** Something waits for the flush, or a write is in flight: the hub's timer must tick it. */
  get busy(): boolean {
    return this.#pending.length > 0 || this.#outstanding > 0 || this.#writeAt > -Infinity;
  }

  /** With nothing in flight (and minWaitMs since the last write) an event goes out at once. */
  deliver(id: number, bytes: Uint8Array, terminal: boolean, now: number): void {
    this.#pending.push({ id, bytes, terminal });
    this.#pendingBytes += bytes.byteLength;
    const free = this.#outstanding === 0 && now - this.#writeAt >= this.clock.minWaitMs;
    if (free || this.#pendingBytes >= this.clock.maxPendingBytes) this.flush(now);
  }

  /**
   * A subscriber's stream asked for more (or the subscriber left): if it was counted in the
   * latest write, that write may have landed. Returns true when it just did. A stale count (of
   * a write given up after maxWaitMs) is ignored: its number is not the latest.
   */
  release(s: Sub): boolean {
    if (s.inWrite === 0) return false;
    const counted = s.inWrite === this.#write;
    s.inWrite = 0;
    return counted && --this.#outstanding === 0;
  }

  /**
   * The hub's timer (and a write that landed): flushes what waits once nothing is in flight, or
   * once the write in flight is maxWaitMs old. Returns in how many ms it wants the next tick, or
   * null when the group is idle again (a landing ticks it sooner).
   */
  tick(now: number): number | null {
    if (this.subs.size === 0) {
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#outstanding = 0;
      this.#writeAt = -Infinity;
      return null;
    }
    const age = now - this.#writeAt;
    if (this.#outstanding > 0 && age < this.clock.maxWaitMs) return this.clock.maxWaitMs - age;
    if (age < this.clock.minWaitMs) return this.clock.minWaitMs - age;
    if (this.#pending.length === 0) {
      // Quiet: the next event goes out at once.
      this.#outstanding = 0;
      this.#writeAt = -Infinity;
      return null;
    }
    this.flush(now);
    return this.#outstanding > 0 ? this.clock.maxWaitMs : this.clock.minWaitMs;
  }

  /** Writes the waiting events: one chunk per subscriber, the same one for almost all. */
  flush(now = performance.now()): void {
    const pending = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    if (pending.length === 0) return;
    const write = ++this.#write;
    this.#outstanding = 0;
    this.#writeAt = now;
    let minId = Infinity;
    for (const p of pending) minId = Math.min(minId, p.id);
    const firstTerminal = pending.findIndex((p) => p.terminal);
    let all: Uint8Array | undefined;
    for (const s of this.subs) {
      const start = s.skip;
      s.skip = 0;
      const term = !s.closeAfterTerminal || firstTerminal < 0
        ? -1
        : start === 0
        ? firstTerminal
        : pending.findIndex((p, i) => i >= start && p.terminal);
      const end = term < 0 ? pending.length : term + 1;
      const bytes = start === 0 && end === pending.length && s.floor < minId
        ? all ??= concat(pending.map((p) => p.bytes))
        : concat(pending.slice(start, end).filter((p) => p.id > s.floor).map((p) => p.bytes));
      if (s.waiting && bytes.byteLength > 0 && term < 0) {
        // Its reader takes these bytes now; the write has landed for it when it asks again.
        // Counted before the enqueue: Deno's response body may read (and ask again) inside it.
        s.inWrite = write;
        this.#outstanding++;
      }
      if (this.sink.write(s, bytes) && term >= 0) this.sink.end(s);
    }
  }
}

export function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of parts) {
    out.set(p, n);
    n += p.byteLength;
  }
  return out;
}
