/**
 * The subscribers of one topic that share one encoding, and the coalescing of their writes.
 * Internal to event_hub.ts. Coalescing is per GROUP, not per subscriber: waiting events become ONE
 * concatenated chunk shared by every subscriber of the group (one concat instead of N, one buffer
 * in memory instead of N copies); only a subscriber that joined while events were waiting, or
 * whose history overlaps them, gets its own slice.
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

export class SubscriberGroup {
  readonly subs = new Set<Sub>();
  /** Events waiting for the flush, in publish order. */
  #pending: Pending[] = [];
  /** A write went out within the current window, so further events wait for the flush. */
  #busy = false;

  constructor(readonly topic: string, readonly encoder: Encoder, readonly sink: Sink) {}

  /** Where a new subscriber starts in the pending list (it must not get earlier events). */
  get pendingLength(): number {
    return this.#pending.length;
  }

  /** The first event after a quiet window is written at once; later ones wait for the flush. */
  deliver(id: number, bytes: Uint8Array, terminal: boolean): void {
    if (this.#busy) {
      this.#pending.push({ id, bytes, terminal });
      return;
    }
    this.#busy = true;
    for (const s of this.subs) {
      if (id <= s.floor || !this.sink.write(s, bytes)) continue;
      if (terminal && s.closeAfterTerminal) this.sink.end(s);
    }
  }

  /** The hub's timer: flushes; a window without events ends the busy period. Returns `busy`. */
  tick(): boolean {
    if (this.#pending.length === 0 || this.subs.size === 0) {
      this.#pending = [];
      return this.#busy = false;
    }
    this.flush();
    return true;
  }

  /** Writes the waiting events: one chunk per subscriber, the same one for almost all. */
  flush(): void {
    const pending = this.#pending;
    this.#pending = [];
    if (pending.length === 0) return;
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
