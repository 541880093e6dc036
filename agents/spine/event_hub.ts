/**
 * In-process event hub: delivers run events to subscribers' byte streams (many viewers per run,
 * many log tails; SSE responses, and the WebSocket route's followers). Shaped by the fan-out
 * measurements in STACK_NOTES.md:
 * - publish() is synchronous, with no per-subscriber formatting, await or task: subscribers of a
 *   topic are grouped by encoder, each event is encoded once per group, and the same bytes are
 *   enqueued on every subscriber's ReadableStream (Deno.serve drains it to the socket).
 * - Writes are coalesced under load: the first event after a quiet window goes out at once; later
 *   ones within the window wait, and ONE shared timer (once per window while any group is busy)
 *   flushes each busy group as one write. No per-subscriber timers or tasks (subscriber_group.ts).
 *   The window adapts: a few times the measured cost of one fan-out, between minCoalesceMs and
 *   coalesceMs — a run watched by one viewer is not delayed, one watched by thousands is batched.
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
import { concat, type Encoder, type Sink, type Sub, SubscriberGroup } from "./subscriber_group.ts";
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
}

export interface HubOptions {
  /** Longest coalescing window = the most latency it adds. Default 10 ms. */
  coalesceMs?: number;
  /** Shortest window, used while a fan-out costs almost nothing. Default 1 ms. */
  minCoalesceMs?: number;
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

export class EventHub {
  #topics = new Map<string, Map<Encoder, SubscriberGroup>>();
  /** Groups that wrote within the current window (the flush timer runs while there are any). */
  #busy = new Set<SubscriberGroup>();
  /** Cut off, closed, waiting for the client to drain what was queued (or to be reaped). */
  #draining = new Set<Sub>();
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #keepAliveTimer: ReturnType<typeof setInterval> | undefined;
  #subscribers = 0;
  #cutOff = 0;
  #published = 0;
  #closed = false;
  readonly #coalesceMs: number;
  readonly #minCoalesceMs: number;
  /** Moving average of one publish's fan-out time (ms): sets the coalescing window. */
  #fanoutMs = 0;
  readonly #keepAliveMs: number;
  readonly #maxQueuedBytes: number;
  readonly #onEncodeError: (error: unknown, ev: RunEvent) => void;
  readonly #sink: Sink = { write: (s, b) => this.#write(s, b), end: (s) => this.#end(s) };

  constructor(opts: HubOptions = {}) {
    this.#coalesceMs = opts.coalesceMs ?? 10;
    this.#minCoalesceMs = Math.min(opts.minCoalesceMs ?? 1, this.#coalesceMs);
    this.#keepAliveMs = opts.keepAliveMs ?? 15_000;
    this.#maxQueuedBytes = opts.maxQueuedBytes ?? 1 << 20;
    this.#onEncodeError = opts.onEncodeError ??
      ((e, ev) => console.error(`EventHub: encoder failed on event ${ev.id}`, e));
  }

  /** Synchronous: read history and subscribe in the same tick and nothing is lost or repeated. */
  subscribe(o: SubscribeOptions): ReadableStream<Uint8Array> {
    const ref: { sub?: Sub } = {};
    let ctrl!: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({
      start: (c) => void (ctrl = c),
      cancel: () => ref.sub && this.#drop(ref.sub),
    }, { highWaterMark: 0, size: (chunk) => chunk.byteLength });

    const parts = o.preamble ? [o.preamble] : [];
    const afterId = o.afterId ?? -Infinity;
    let floor = afterId;
    let ended = this.#closed;
    for (const ev of ended ? [] : o.history ?? []) {
      if (ev.id <= afterId) continue;
      floor = Math.max(floor, ev.id);
      const bytes = this.#encode(o.encoder, ev);
      if (bytes) parts.push(bytes);
      if ((ended = o.closeAfterTerminal === true && isTerminal(ev.event))) break;
    }
    if (!ended && o.complete) {
      ended = true;
      if (o.epilogue) parts.push(o.epilogue);
    }
    if (parts.length > 0) ctrl.enqueue(concat(parts));
    if (ended) {
      ctrl.close();
      return stream;
    }

    let groups = this.#topics.get(o.topic);
    if (!groups) this.#topics.set(o.topic, groups = new Map());
    let group = groups.get(o.encoder);
    if (!group) groups.set(o.encoder, group = new SubscriberGroup(o.topic, o.encoder, this.#sink));
    ref.sub = {
      ctrl,
      group,
      floor,
      skip: group.pendingLength,
      closeAfterTerminal: o.closeAfterTerminal ?? false,
      maxQueuedBytes: o.maxQueuedBytes ?? this.#maxQueuedBytes,
      cutAt: 0,
    };
    group.subs.add(ref.sub);
    this.#subscribers++;
    this.#keepAliveTimer ??= setInterval(this.#keepAlive, this.#keepAliveMs);
    return stream;
  }

  /** Synchronous and cheap; an encoder that throws is reported, never thrown to the publisher. */
  publish(topic: string, ev: RunEvent): void {
    this.#published++;
    const groups = this.#topics.get(topic);
    if (!groups) return;
    const terminal = isTerminal(ev.event);
    const t0 = performance.now();
    for (const g of groups.values()) {
      // A terminal event must reach the group even unencoded: it closes closeAfterTerminal subs.
      const bytes = this.#encode(g.encoder, ev) ?? (terminal ? EMPTY : null);
      if (!bytes) continue;
      g.deliver(ev.id, bytes, terminal);
      this.#busy.add(g);
      this.#flushTimer ??= setTimeout(this.#flush, this.#window());
    }
    this.#fanoutMs = 0.8 * this.#fanoutMs + 0.2 * (performance.now() - t0);
  }

  /** A few fan-outs long, so a flush never competes with the work it batches. */
  #window(): number {
    return Math.min(this.#coalesceMs, Math.max(this.#minCoalesceMs, 4 * this.#fanoutMs));
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
    this.#draining.clear();
    this.#busy.clear();
    clearTimeout(this.#flushTimer);
    clearInterval(this.#keepAliveTimer);
    this.#flushTimer = this.#keepAliveTimer = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  stats(): HubStats {
    const [topics, subscribers] = [this.#topics.size, this.#subscribers];
    return { topics, subscribers, cutOff: this.#cutOff, published: this.#published };
  }

  #flush = (): void => {
    this.#flushTimer = undefined;
    for (const g of this.#busy) if (!g.tick()) this.#busy.delete(g);
    if (this.#busy.size > 0) this.#flushTimer = setTimeout(this.#flush, this.#window());
  };

  /**
   * Enqueues unless that would exceed the subscriber's cap; then cuts it off. False: the
   * subscriber is gone (cut off, or its stream was cancelled or closed meanwhile).
   */
  #write(s: Sub, bytes: Uint8Array): boolean {
    if (!s.group.subs.has(s)) return false;
    if (bytes.byteLength === 0) return true;
    if (bytes.byteLength - (s.ctrl.desiredSize ?? 0) <= s.maxQueuedBytes) {
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
    if (g.subs.delete(s)) {
      this.#subscribers--;
      const groups = this.#topics.get(g.topic);
      // Identity check: after emptying once, the group may have been replaced by a new one.
      if (g.subs.size === 0 && groups?.get(g.encoder) === g) {
        groups.delete(g.encoder);
        if (groups.size === 0) this.#topics.delete(g.topic);
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

  #encode(encoder: Encoder, ev: RunEvent): Uint8Array | null {
    try {
      return encoder(ev);
    } catch (e) {
      this.#onEncodeError(e, ev);
      return null;
    }
  }
}
