/**
 * A run's journal turns AG-UI events into RunEvents (id, gap-free seq, time), keeps them in
 * memory while the run is active (so a late subscriber replays without touching the database),
 * hands it to the batched writer and then publishes it once on the hub — queued first, so an
 * event anyone saw is always on its way to storage, even if publishing throws.
 *
 * Events are made storable where they enter: every string (keys too) of an event has NUL and
 * unpaired UTF-16 surrogates replaced by U+FFFD (text.ts `storableJson`), since Postgres' jsonb
 * refuses both and the stream must show what is stored.
 *
 * Streamed deltas (answer text, tool-call arguments) are coalesced per message or tool call (one
 * buffer per run collapsed as soon as two sub-agents streamed at once: each delta flushed the
 * other's): a stream's delta is published once the run's earlier events have landed (the hub's
 * sending(): its writes were taken by every waiting viewer's stream) AND `coalesceMs` have passed
 * since then (or since that stream's last delta); until then its later deltas join it. Any other
 * event first publishes what is buffered, so order holds within each stream and around others.
 * So emitting never waits for the fan-out, and what the model sent during one joins: the model's
 * connection is read on a worker thread (agents/llm/worker_fetch.ts), which hands over everything
 * that arrived during a long turn at once. The stream and the table hold the same events, so
 * resuming by id is exact.
 */
import {
  type AgUiEvent,
  CUSTOM,
  customName,
  EventType,
  isTerminal,
  type RunEvent,
} from "./events.ts";
import type { EventIdPool } from "./event_id_pool.ts";
import type { EventWriter } from "./event_writer.ts";
import { storableJson } from "./text.ts";

export interface Publisher {
  publish(topic: string, ev: RunEvent): void;
  /** While the topic's events are still on their way: resolves once they have landed. */
  sending(topic: string): Promise<void> | undefined;
}

export const runTopic = (runId: string) => `run:${runId}`;
/** Every run's log records (for those who may see every run). */
export const LOGS_TOPIC = "logs";
/**
 * The log records of one owner's runs. Each record is published once more here rather than
 * filtered per subscriber: the hub sends the same bytes to a whole topic, so one extra publish
 * (a map lookup when nobody follows that owner) is cheaper than a filter on every delivery.
 */
export const ownerLogsTopic = (owner: string) => `logs:${owner}`;

interface JournalDeps {
  ids: EventIdPool;
  writer: EventWriter;
  hub: Publisher;
  coalesceMs: number;
  /** A publish that threw (the event is queued for storage regardless); default console.error. */
  onPublishError?: (error: unknown, ev: RunEvent) => void;
  /**
   * The most events held unstored in memory (queued for the writer, or waiting for an id while
   * the database is away) before `onFull`; default unbounded. Nothing is ever dropped: a run that
   * is told to stop still emits its last few events, so the bound is passed by at most those.
   */
  maxPending?: number;
  /** The held events reached `maxPending` (once; again after they fell below 90% of it). */
  onFull?: (pending: number) => void;
}

/** Events held unstored across every journal: the writer's queue plus those waiting for ids. */
export class Backlog {
  waiting = 0;
  #full = false;

  constructor(private readonly deps: JournalDeps) {}

  get pending(): number {
    return this.deps.writer.pending + this.waiting;
  }

  /** Whether the bound was reached and the held events have not yet fallen below 90% of it. */
  get full(): boolean {
    const max = this.deps.maxPending ?? Infinity;
    if (this.#full && this.pending < max * 0.9) this.#full = false;
    return this.#full;
  }

  /** After each event: tells `onFull` when the bound is reached. */
  check(): void {
    const max = this.deps.maxPending ?? Infinity;
    if (this.#full || this.pending < max) return;
    this.#full = true;
    // Not from inside the emit that crossed it: whatever onFull does may emit again.
    const pending = this.pending;
    queueMicrotask(() => this.deps.onFull?.(pending));
  }
}

type DeltaEvent = Extract<
  AgUiEvent,
  { type: EventType.TEXT_MESSAGE_CONTENT | EventType.TOOL_CALL_ARGS }
>;

function deltaKey(ev: AgUiEvent): string | null {
  if (ev.type === EventType.TEXT_MESSAGE_CONTENT) return `m:${ev.messageId}`;
  if (ev.type === EventType.TOOL_CALL_ARGS) return `t:${ev.toolCallId}`;
  return null;
}

/** The delta stream an event closes (its message's or tool call's end). */
function endedKey(ev: AgUiEvent): string | null {
  if (ev.type === EventType.TEXT_MESSAGE_END) return `m:${ev.messageId}`;
  if (ev.type === EventType.TOOL_CALL_END) return `t:${ev.toolCallId}`;
  return null;
}

interface DeltaStream {
  lastAt: number;
  buffered?: DeltaEvent;
}

export class RunJournal {
  readonly events: RunEvent[] = [];
  #seq = 0;
  #waiting: AgUiEvent[] = [];
  /** Per message or tool call: when its last delta went out, and what waits to go. */
  #streams = new Map<string, DeltaStream>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Buffered deltas wait for the run's earlier events to land (hub.sending()). */
  #awaitingLanding = false;
  /** performance.now() when they last landed while a delta waited. */
  #landedAt = -Infinity;
  #ended = false;
  /** The writer's ticket for this run's latest event. */
  #lastTicket = 0;

  /** `owner`: whose run it is (its log records also go to ownerLogsTopic(owner)). */
  constructor(
    readonly runId: string,
    private readonly deps: JournalDeps,
    readonly owner?: string,
    private readonly backlog: Backlog = new Backlog(deps),
  ) {}

  get ended(): boolean {
    return this.#ended;
  }

  /** Events emitted and still waiting for an id (so not yet queued for storage). */
  get unqueued(): number {
    let n = this.#waiting.length;
    for (const stream of this.#streams.values()) if (stream.buffered) n++;
    return n;
  }

  emit(ev: AgUiEvent): void {
    if (this.#ended) return; // nothing follows a terminal event
    const key = deltaKey(ev);
    if (key === null) {
      this.#flushDeltas();
      const ended = endedKey(ev);
      if (ended) this.#streams.delete(ended);
      if (isTerminal(ev)) this.#ended = true;
      this.#append(ev);
      return;
    }
    const delta = ev as DeltaEvent;
    let stream = this.#streams.get(key);
    if (!stream) this.#streams.set(key, stream = { lastAt: -Infinity });
    if (stream.buffered) {
      stream.buffered = {
        ...stream.buffered,
        delta: (stream.buffered.delta ?? "") + (delta.delta ?? ""),
      };
      return;
    }
    stream.buffered = delta;
    this.#release();
  }

  /** Publishes each buffered delta whose conditions hold; else tries again when one changes. */
  #release(): void {
    if (this.#awaitingLanding) return;
    const landing = this.deps.hub.sending(runTopic(this.runId));
    if (landing) {
      this.#awaitingLanding = true;
      landing.then(() => {
        this.#awaitingLanding = false;
        this.#landedAt = performance.now();
        this.#release();
      });
      return;
    }
    const now = performance.now();
    let next = Infinity;
    for (const stream of this.#streams.values()) {
      if (!stream.buffered) continue;
      const wait = this.deps.coalesceMs - (now - Math.max(stream.lastAt, this.#landedAt));
      if (wait <= 0) this.#flushDelta(stream);
      else next = Math.min(next, wait);
    }
    if (next < Infinity) {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.#release();
      }, next);
    }
  }

  #flushDelta(stream: DeltaStream): void {
    const ev = stream.buffered;
    if (!ev) return;
    stream.buffered = undefined;
    stream.lastAt = performance.now();
    this.#append(ev);
  }

  /** Every buffered delta (streams are independent: each keeps its own order). */
  #flushDeltas(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const stream of this.#streams.values()) this.#flushDelta(stream);
  }

  #append(ev: AgUiEvent): void {
    this.#hold(ev);
    this.backlog.check();
  }

  #hold(ev: AgUiEvent): void {
    if (this.#waiting.length > 0) {
      this.#wait(ev);
      return;
    }
    const id = this.deps.ids.take();
    if (id === null) {
      this.#wait(ev);
      this.deps.ids.ready().then(() => this.#drainWaiting());
      return;
    }
    this.#record(id, ev);
  }

  #wait(ev: AgUiEvent): void {
    this.#waiting.push(ev);
    this.backlog.waiting++;
  }

  #drainWaiting(): void {
    while (this.#waiting.length > 0) {
      const id = this.deps.ids.take();
      if (id === null) {
        this.deps.ids.ready().then(() => this.#drainWaiting());
        return;
      }
      this.backlog.waiting--;
      this.#record(id, this.#waiting.shift()!);
    }
  }

  #record(id: number, ev: AgUiEvent): void {
    const createdAt = Date.now();
    const clean = storableJson(ev) as AgUiEvent;
    const event = clean.timestamp === undefined ? { ...clean, timestamp: createdAt } : clean;
    const runEvent: RunEvent = { id, runId: this.runId, seq: ++this.#seq, createdAt, event };
    this.events.push(runEvent);
    this.#lastTicket = this.deps.writer.enqueue(runEvent);
    try {
      this.deps.hub.publish(runTopic(this.runId), runEvent);
      if (customName(event) === CUSTOM.log) {
        this.deps.hub.publish(LOGS_TOPIC, runEvent);
        if (this.owner !== undefined) this.deps.hub.publish(ownerLogsTopic(this.owner), runEvent);
      }
    } catch (err) {
      (this.deps.onPublishError ?? reportPublishError)(err, runEvent);
    }
  }

  /** Resolves when every emitted event has its id (and so is queued for writing). */
  async settled(): Promise<void> {
    this.#flushDeltas();
    while (this.#waiting.length > 0) await this.deps.ids.ready();
  }

  /** Resolves when every event emitted so far is stored (or settled by the writer). */
  async stored(): Promise<void> {
    await this.settled();
    await this.deps.writer.whenWritten(this.#lastTicket);
  }
}

function reportPublishError(error: unknown, ev: RunEvent): void {
  console.error(`RunJournal: publishing event ${ev.id} of run ${ev.runId} failed`, error);
}

/** The journals of the runs active in this process. */
export class Journals {
  #active = new Map<string, RunJournal>();
  readonly backlog: Backlog;

  constructor(private readonly deps: JournalDeps) {
    this.backlog = new Backlog(deps);
  }

  open(runId: string, owner?: string): RunJournal {
    const journal = new RunJournal(runId, this.deps, owner, this.backlog);
    this.#active.set(runId, journal);
    return journal;
  }

  get(runId: string): RunJournal | undefined {
    return this.#active.get(runId);
  }

  all(): IterableIterator<RunJournal> {
    return this.#active.values();
  }

  get size(): number {
    return this.#active.size;
  }

  /** Events of open journals not yet queued for storage. */
  get unqueued(): number {
    let n = 0;
    for (const j of this.#active.values()) n += j.unqueued;
    return n;
  }

  /**
   * Stores everything the run emitted, then forgets it. Only after this may a reader rely on the
   * database alone, so subscribers look here first.
   */
  async close(runId: string): Promise<void> {
    const journal = this.#active.get(runId);
    if (!journal) return;
    // This run's own events, not an empty queue: other runs may keep the writer busy for ever.
    await journal.stored();
    this.#active.delete(runId);
  }
}
