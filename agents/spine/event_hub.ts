/**
 * In-process event hub: delivers run events to subscribers' byte streams (many viewers per run,
 * many log tails; SSE responses, and the WebSocket route's followers). Shaped by the fan-out
 * measurements in STACK_NOTES.md:
 * - publish() is synchronous, with no per-subscriber formatting, await or task: subscribers of a
 *   topic are grouped by encoder, each event is encoded once per group, and the same bytes are
 *   enqueued on every subscriber's ReadableStream (Deno.serve drains it to the socket).
 * - Writes are coalesced under load, clocked by the measured cost of sending: an event goes out
 *   at once when no write of its group is in flight; otherwise it waits, and everything that
 *   waited goes out as ONE write as soon as the previous write has landed (every stream that was
 *   waiting for it came back for more: Deno.serve took the bytes), at least minWaitMs and at most
 *   maxWaitMs after it. So a run watched by one viewer is not delayed and one watched by thousands
 *   is batched by exactly what its fan-out costs. No per-subscriber timers or tasks
 *   (subscriber_group.ts); one shared timer ticks while any group is busy. sending(topic) tells a
 *   producer (the journal) when to join its deltas instead of publishing each one.
 * - Each subscriber's stream queue is bounded: it counts queued bytes (highWaterMark 0, so
 *   desiredSize = -queued). A write that would exceed the cap cuts the subscriber off: its stream
 *   is closed (the client gets what was queued, a clean end, and resumes with Last-Event-ID). If
 *   it still has not drained a keep-alive interval later it is errored, which aborts the
 *   connection and frees the queue (Deno prints the reason) — an SSE client that never reads
 *   cannot pin memory forever. The bound is on this stream only: a reader that drains it into a
 *   buffer of its own must stop reading while that buffer is full (routes/api/ws.ts waits for the
 *   socket's send buffer), or it is never cut off.
 * - A subscriber may vanish at any moment, even inside `enqueue` (Deno's response body reads
 *   there and cancels the stream when the client is gone): writes and ends check that it is
 *   still subscribed and never throw, since they run in the hub's timers.
 */
import { isTerminal, type RunEvent } from "./events.ts";
import {
  type Clocking,
  concat,
  type Encoder,
  type Sink,
  type Sub,
  SubscriberGroup,
} from "./subscriber_group.ts";
import { KEEP_ALIVE } from "./sse.ts";

export type { Encoder };

export interface SubscribeOptions {
  topic: string;
  encoder: Encoder;
  /** Persisted events; those with id > afterId are sent first, in one write, not capped. */
  history?: RunEvent[];
  afterId?: number;
  /** Sent before anything else (e.g. `retry:` or an initial HTML fragment). */
  preamble?: Uint8Array;
  closeAfterTerminal?: boolean;
  /**
   * The history is the whole stream (the run has ended): the stream ends after it, with
   * `epilogue` last when no terminal event was among what was sent (a resume at or after the end).
   */
  complete?: boolean;
  epilogue?: Uint8Array;
  maxQueuedBytes?: number;
  /**
   * Who subscribes, as the caller names it (e.g. a transport and a user id; keep it short): the
   * hub counts subscribers per topic and label (`counts()`) and reads nothing into it.
   * Default "".
   */
  label?: string;
}

/** How many subscribers of a topic carry a label (counts()). */
export interface LabelCount {
  topic: string;
  label: string;
  count: number;
}

export interface HubOptions {
  /**
   * Longest a write waits for the one in flight to land: a stream that does not come back (its
   * socket is full) holds the others back no longer than this. Default 250 ms.
   */
  maxWaitMs?: number;
  /** Shortest gap between two writes of a group, so a cheap fan-out still batches. Default 1 ms. */
  minWaitMs?: number;
  /** Keep-alive comment interval, also the grace period of a cut-off subscriber. Default 15 s. */
  keepAliveMs?: number;
  /** Default per-subscriber cap on queued bytes. Default 1 MiB. */
  maxQueuedBytes?: number;
  onEncodeError?: (error: unknown, ev: RunEvent) => void;
}

export interface HubStats {
  topics: number;
  subscribers: number;
  /** Subscribers cut off for falling behind, since the hub was created. */
  cutOff: number;
  /** publish() calls since the hub was created. */
  published: number;
}

const EMPTY = new Uint8Array(0);
/** One queuing strategy for every stream (not a closure per subscriber): queued bytes count. */
const BYTES_QUEUED: QueuingStrategy<Uint8Array> = {
  highWaterMark: 0,
  size: (chunk) => chunk.byteLength,
};

export class EventHub {
  #topics = new Map<string, Map<Encoder, SubscriberGroup>>();
  /** Groups that wrote within the current window (the flush timer runs while there are any). */
  #busy = new Set<SubscriberGroup>();
  /** Cut off, closed, waiting for the client to drain what was queued (or to be reaped). */
  #draining = new Set<Sub>();
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** performance.now() when the flush timer fires; Infinity: not set. */
  #timerDue = Infinity;
  #keepAliveTimer: ReturnType<typeof setInterval> | undefined;
  #subscribers = 0;
  /** Live subscribers per topic and label. */
  #labels = new Map<string, Map<string, number>>();
  #cutOff = 0;
  #published = 0;
  #closed = false;
  /** Producers waiting for a topic's writes to land (sending()). */
  #landed = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  readonly #clock: Clocking;
  readonly #keepAliveMs: number;
  readonly #maxQueuedBytes: number;
  readonly #onEncodeError: (error: unknown, ev: RunEvent) => void;
  readonly #sink: Sink = { write: (s, b) => this.#write(s, b), end: (s) => this.#end(s) };

  constructor(opts: HubOptions = {}) {
    const maxWaitMs = opts.maxWaitMs ?? 250;
    const minWaitMs = Math.min(opts.minWaitMs ?? 1, maxWaitMs);
    this.#maxQueuedBytes = opts.maxQueuedBytes ?? 1 << 20;
    this.#clock = { maxWaitMs, minWaitMs, maxPendingBytes: this.#maxQueuedBytes };
    this.#keepAliveMs = opts.keepAliveMs ?? 15_000;
    this.#onEncodeError = opts.onEncodeError ??
      ((e, ev) => console.error(`EventHub: encoder failed on event ${ev.id}`, e));
  }

  /** Synchronous: read history and subscribe in the same tick and nothing is lost or repeated. */
  subscribe(o: SubscribeOptions): ReadableStream<Uint8Array> {
    const ref: { sub?: Sub } = {};
    let ctrl!: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({
      start: (c) => void (ctrl = c),
      // Deno.serve's reader took everything queued and asks for more.
      pull: () => void (ref.sub && this.#pulled(ref.sub)),
      cancel: () => ref.sub && this.#drop(ref.sub),
    }, BYTES_QUEUED);

    const afterId = o.afterId ?? -Infinity;
    const known = this.#topics.get(o.topic)?.get(o.encoder);
    const past = this.#closed ? undefined : this.#encodeHistory(o, afterId, known);
    if (o.preamble) ctrl.enqueue(o.preamble);
    if (past?.bytes) ctrl.enqueue(past.bytes);
    if (past && !past.ended && o.complete && o.epilogue) ctrl.enqueue(o.epilogue);
    if (!past || past.ended || o.complete) {
      ctrl.close();
      return stream;
    }

    let groups = this.#topics.get(o.topic);
    if (!groups) this.#topics.set(o.topic, groups = new Map());
    let group = groups.get(o.encoder);
    if (!group) {
      group = new SubscriberGroup(o.topic, o.encoder, this.#sink, this.#clock);
      groups.set(o.encoder, group);
    }
    if (past.cache) group.history = past.cache;
    const floor = past.floor;
    ref.sub = {
      ctrl,
      group,
      floor,
      skip: group.pendingLength,
      closeAfterTerminal: o.closeAfterTerminal ?? false,
      maxQueuedBytes: o.maxQueuedBytes ?? this.#maxQueuedBytes,
      cutAt: 0,
      waiting: false,
      inWrite: 0,
      label: o.label ?? "",
    };
    group.subs.add(ref.sub);
    this.#subscribers++;
    this.#count(o.topic, ref.sub.label, 1);
    this.#keepAliveTimer ??= setInterval(this.#keepAlive, this.#keepAliveMs);
    return stream;
  }

  /** Synchronous and cheap; an encoder that throws is reported, never thrown to the publisher. */
  publish(topic: string, ev: RunEvent): void {
    this.#published++;
    const groups = this.#topics.get(topic);
    if (!groups) return;
    const terminal = isTerminal(ev.event);
    const now = performance.now();
    for (const g of groups.values()) {
      // A terminal event must reach the group even unencoded: it closes closeAfterTerminal subs.
      const bytes = this.#encode(g.encoder, ev) ?? (terminal ? EMPTY : null);
      if (!bytes) continue;
      g.deliver(ev.id, bytes, terminal, now);
      if (!this.#busy.has(g)) {
        this.#busy.add(g);
        this.#tick([g]);
      }
    }
  }

  /**
   * Whether the topic's latest events are still on their way (waiting for the flush, or written
   * and not yet taken by every stream that was waiting): then a promise that resolves once they
   * have landed (or were given up after maxWaitMs), else undefined.
   */
  sending(topic: string): Promise<void> | undefined {
    if (!this.#topicSending(topic)) return undefined;
    let w = this.#landed.get(topic);
    if (!w) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => resolve = r);
      this.#landed.set(topic, w = { promise, resolve });
    }
    return w.promise;
  }

  #topicSending(topic: string): boolean {
    for (const g of this.#topics.get(topic)?.values() ?? []) if (g.sending) return true;
    return false;
  }

  /** Wakes the producers waiting on a topic whose writes have all landed. */
  #settle(topic: string): void {
    const w = this.#landed.get(topic);
    if (!w || (!this.#closed && this.#topicSending(topic))) return;
    this.#landed.delete(topic);
    w.resolve();
  }

  /** Flushes and closes every subscriber of the topic (e.g. the run was deleted). */
  endTopic(topic: string): void {
    for (const g of this.#topics.get(topic)?.values() ?? []) {
      g.flush();
      for (const s of g.subs) this.#end(s);
    }
  }

  /** Flushes and closes everything and clears all timers; later subscribers get an empty stream. */
  close(): void {
    this.#closed = true;
    for (const topic of [...this.#topics.keys()]) this.endTopic(topic);
    for (const topic of [...this.#landed.keys()]) this.#settle(topic);
    this.#draining.clear();
    this.#busy.clear();
    clearTimeout(this.#flushTimer);
    clearInterval(this.#keepAliveTimer);
    this.#flushTimer = this.#keepAliveTimer = undefined;
    this.#timerDue = Infinity;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  stats(): HubStats {
    const [topics, subscribers] = [this.#topics.size, this.#subscribers];
    return { topics, subscribers, cutOff: this.#cutOff, published: this.#published };
  }

  /** Live subscribers per topic and label (cut-off ones that are draining no longer count). */
  counts(): LabelCount[] {
    const out: LabelCount[] = [];
    for (const [topic, labels] of this.#labels) {
      for (const [label, count] of labels) out.push({ topic, label, count });
    }
    return out;
  }

  #count(topic: string, label: string, by: 1 | -1): void {
    let labels = this.#labels.get(topic);
    if (!labels) this.#labels.set(topic, labels = new Map());
    const n = (labels.get(label) ?? 0) + by;
    if (n > 0) labels.set(label, n);
    else {
      labels.delete(label);
      if (labels.size === 0) this.#labels.delete(topic);
    }
  }

  #flush = (): void => {
    this.#flushTimer = undefined;
    this.#timerDue = Infinity;
    this.#tick(this.#busy);
  };

  /** Ticks the groups; the shared timer is set for the soonest one that wants another tick. */
  #tick(groups: Iterable<SubscriberGroup>): void {
    const now = performance.now();
    for (const g of groups) {
      const next = g.tick(now);
      if (next === null) this.#busy.delete(g);
      else if (next < this.#timerDue - now) {
        clearTimeout(this.#flushTimer);
        this.#timerDue = now + next;
        this.#flushTimer = setTimeout(this.#flush, next);
      }
      if (!g.sending) this.#settle(g.topic);
    }
  }

  /** The stream's reader came back for more: the write it was counted in may have landed. */
  #pulled(s: Sub): void {
    s.waiting = true;
    // Out of the stream's pull(): the flush enqueues on every stream of the group.
    if (s.group.release(s)) queueMicrotask(() => this.#afterLanding(s.group));
  }

  /** A write landed: what waited goes out now (or at the next tick, if minWaitMs says so). */
  #afterLanding(g: SubscriberGroup): void {
    if (!this.#closed && this.#busy.has(g)) this.#tick([g]);
  }

  /**
   * Enqueues unless that would exceed the subscriber's cap; then cuts it off. False: the
   * subscriber is gone (cut off, or its stream was cancelled or closed meanwhile).
   */
  #write(s: Sub, bytes: Uint8Array): boolean {
    if (!s.group.subs.has(s)) return false;
    if (bytes.byteLength === 0) return true;
    if (bytes.byteLength - (s.ctrl.desiredSize ?? 0) <= s.maxQueuedBytes) {
      s.waiting = false; // before: a reader inside enqueue may ask again at once
      try {
        s.ctrl.enqueue(bytes);
      } catch {
        // Closed or errored under us: nobody reads it any more.
        this.#drop(s);
        return false;
      }
      // Deno's response body reads inside enqueue; a client found gone cancels the stream right
      // there (its cancel drops the subscriber), so the sub must still be here to count as sent.
      return s.group.subs.has(s);
    }
    this.#cutOff++;
    s.cutAt = performance.now();
    this.#end(s);
    this.#draining.add(s);
    this.#keepAliveTimer ??= setInterval(this.#keepAlive, this.#keepAliveMs);
    return false;
  }

  /** Closes the subscriber's stream unless it is already gone; never throws (timers call it). */
  #end(s: Sub): void {
    if (s.group.subs.has(s)) {
      try {
        s.ctrl.close();
      } catch {
        // Cancelled or errored meanwhile: there is nothing left to close.
      }
    }
    this.#drop(s);
  }

  #drop(s: Sub): void {
    this.#draining.delete(s);
    const g = s.group;
    if (g.release(s)) queueMicrotask(() => this.#afterLanding(g));
    if (g.subs.delete(s)) {
      this.#subscribers--;
      this.#count(g.topic, s.label, -1);
      const groups = this.#topics.get(g.topic);
      // Identity check: after emptying once, the group may have been replaced by a new one.
      if (g.subs.size === 0 && groups?.get(g.encoder) === g) {
        groups.delete(g.encoder);
        if (groups.size === 0) this.#topics.delete(g.topic);
        this.#settle(g.topic);
      }
    }
    if (this.#subscribers === 0 && this.#draining.size === 0) {
      clearInterval(this.#keepAliveTimer);
      this.#keepAliveTimer = undefined;
    }
  }

  #keepAlive = (): void => {
    for (const groups of this.#topics.values()) {
      for (const g of groups.values()) for (const s of g.subs) this.#write(s, KEEP_ALIVE);
    }
    const now = performance.now();
    for (const s of this.#draining) {
      // desiredSize is 0 once a closed stream has been drained.
      if (s.ctrl.desiredSize === 0) this.#drop(s);
      else if (now - s.cutAt >= this.#keepAliveMs) {
        try {
          s.ctrl.error("EventHub: subscriber too slow, connection aborted");
        } catch {
          // Already errored.
        }
        this.#drop(s);
      }
    }
  };

  /**
   * A new subscriber's history in its encoding. The whole history of a live topic (1,000 viewers
   * joining a run) is encoded ONCE per group and the same bytes are handed to every joiner: the
   * group keeps them, and a later joiner encodes only the events published since.
   */
  #encodeHistory(o: SubscribeOptions, afterId: number, group?: SubscriberGroup) {
    const history = o.history ?? [];
    const whole = history.length > 0 && history[0].id > afterId;
    const cached = whole ? group?.history : undefined;
    const reuse = cached !== undefined && cached.firstId === history[0].id &&
      history[cached.count - 1]?.id === cached.lastId;
    const parts = reuse ? [cached.bytes] : [];
    let floor = reuse ? cached.lastId : afterId;
    let terminal = false;
    let ended = false;
    for (let i = reuse ? cached.count : 0; i < history.length && !ended; i++) {
      const ev = history[i];
      if (ev.id <= afterId) continue;
      floor = Math.max(floor, ev.id);
      const bytes = this.#encode(o.encoder, ev);
      if (bytes) parts.push(bytes);
      terminal ||= isTerminal(ev.event);
      ended = o.closeAfterTerminal === true && terminal;
    }
    const bytes = parts.length > 0 ? concat(parts) : undefined;
    // Only a prefix without a terminal event is kept: every kind of subscriber may reuse it.
    const cache = whole && !terminal && bytes && (!reuse || history.length > cached.count)
      ? { firstId: history[0].id, lastId: floor, count: history.length, bytes }
      : undefined;
    return { bytes, floor, ended, cache };
  }

  #encode(encoder: Encoder, ev: RunEvent): Uint8Array | null {
    try {
      return encoder(ev);
    } catch (e) {
      this.#onEncodeError(e, ev);
      return null;
    }
  }
}
