/**
 * A run's journal turns AG-UI events into RunEvents (id, gap-free seq, time), keeps them in
 * memory while the run is active (so a late subscriber replays without touching the database),
 * publishes each one once on the hub, and hands it to the batched writer.
 *
 * Streamed deltas (answer text, tool-call arguments) are coalesced per message or tool call, so
 * two sub-agents streaming at once are each joined (one buffer per run collapsed into an event
 * per delta as soon as two streams interleaved): the first delta of a stream after a quiet spell
 * is published at once, later ones within `coalesceMs` are joined into one event. Any other event
 * first publishes what is buffered, so order holds within each stream and around other events.
 * The stream and the table then hold the same events, so resuming by id is exact.
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

export interface Publisher {
  publish(topic: string, ev: RunEvent): void;
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
  timer?: ReturnType<typeof setTimeout>;
}

export class RunJournal {
  readonly events: RunEvent[] = [];
  #seq = 0;
  #waiting: AgUiEvent[] = [];
  /** Per message or tool call: when its last delta went out, and what waits to go. */
  #streams = new Map<string, DeltaStream>();
  #ended = false;

  /** `owner`: whose run it is (its log records also go to ownerLogsTopic(owner)). */
  constructor(
    readonly runId: string,
    private readonly deps: JournalDeps,
    readonly owner?: string,
  ) {}

  get ended(): boolean {
    return this.#ended;
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
    const now = performance.now();
    if (now - stream.lastAt >= this.deps.coalesceMs) {
      stream.lastAt = now;
      this.#append(ev);
      return;
    }
    stream.buffered = delta;
    const s = stream;
    s.timer = setTimeout(() => this.#flushDelta(s), this.deps.coalesceMs - (now - s.lastAt));
  }

  #flushDelta(stream: DeltaStream): void {
    clearTimeout(stream.timer);
    stream.timer = undefined;
    const ev = stream.buffered;
    if (!ev) return;
    stream.buffered = undefined;
    stream.lastAt = performance.now();
    this.#append(ev);
  }

  /** Every buffered delta (streams are independent: each keeps its own order). */
  #flushDeltas(): void {
    for (const stream of this.#streams.values()) this.#flushDelta(stream);
  }

  #append(ev: AgUiEvent): void {
    if (this.#waiting.length > 0) {
      this.#waiting.push(ev);
      return;
    }
    const id = this.deps.ids.take();
    if (id === null) {
      this.#waiting.push(ev);
      this.deps.ids.ready().then(() => this.#drainWaiting());
      return;
    }
    this.#record(id, ev);
  }

  #drainWaiting(): void {
    while (this.#waiting.length > 0) {
      const id = this.deps.ids.take();
      if (id === null) {
        this.deps.ids.ready().then(() => this.#drainWaiting());
        return;
      }
      this.#record(id, this.#waiting.shift()!);
    }
  }

  #record(id: number, ev: AgUiEvent): void {
    const createdAt = Date.now();
    const event = ev.timestamp === undefined ? { ...ev, timestamp: createdAt } : ev;
    const runEvent: RunEvent = { id, runId: this.runId, seq: ++this.#seq, createdAt, event };
    this.events.push(runEvent);
    this.deps.hub.publish(runTopic(this.runId), runEvent);
    if (customName(event) === CUSTOM.log) {
      this.deps.hub.publish(LOGS_TOPIC, runEvent);
      if (this.owner !== undefined) this.deps.hub.publish(ownerLogsTopic(this.owner), runEvent);
    }
    this.deps.writer.enqueue(runEvent);
  }

  /** Resolves when every emitted event has its id (and so is queued for writing). */
  async settled(): Promise<void> {
    this.#flushDeltas();
    while (this.#waiting.length > 0) await this.deps.ids.ready();
  }
}

/** The journals of the runs active in this process. */
export class Journals {
  #active = new Map<string, RunJournal>();

  constructor(private readonly deps: JournalDeps) {}

  open(runId: string, owner?: string): RunJournal {
    const journal = new RunJournal(runId, this.deps, owner);
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

  /**
   * Stores everything the run emitted, then forgets it. Only after this may a reader rely on the
   * database alone, so subscribers look here first.
   */
  async close(runId: string): Promise<void> {
    const journal = this.#active.get(runId);
    if (!journal) return;
    await journal.settled();
    await this.deps.writer.flush();
    this.#active.delete(runId);
  }
}
