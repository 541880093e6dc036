/**
 * Request records in the live log tail. Each HTTP record the request log makes gets an event id
 * from the spine's pool (the same ids as run records, so one Last-Event-ID resumes both and the
 * hub orders them) and is published as a `glassbox.log` event with `value.kind = "http"` (and an
 * empty runId) on the topics of who may see it: every record on LOGS_TOPIC (admins), a
 * signed-in user's also on their ownerLogsTopic — a member's tail shows their own requests only,
 * and requests made signed out are an admin's only, as in the stored history. The record is
 * stored with that id; the newest `keep` are held here for tails that start before they are
 * stored. With no id at hand (the pool refilling while the database is away) a record is stored
 * without one (the table's sequence) and not tailed.
 */
import type { LogValue, RunEvent } from "../agents/spine/events.ts";
import { CUSTOM, custom } from "../agents/spine/events.ts";
import { LOGS_TOPIC, ownerLogsTopic } from "../agents/spine/journal.ts";
import { httpLevel, httpMessage, type HttpRecord, type LogRecordRow } from "../db/log_records.ts";
import { EVERYONE, inScope, type OwnerScope } from "../db/owner.ts";

/** A request record's value in the tail: a log value, and whose request it was. */
export interface RequestLogValue extends LogValue {
  kind: "http";
  requestId: string;
  userId: string | null;
}

export const HTTP_CATEGORY = "glassbox.http";

/** Whether a log event is a request record (else a run's). */
export function isRequestEvent(ev: RunEvent): boolean {
  return (ev.event as { value?: { kind?: unknown } }).value?.kind === "http";
}

/** Whose request a tailed record was (null: nobody signed in). */
export function requestUserOf(ev: RunEvent): string | null {
  return (ev.event as { value: RequestLogValue }).value.userId;
}

/** Whether the scope may see a request record of `userId`. */
export function requestInScope(scope: OwnerScope, userId: string | null): boolean {
  return userId === null
    ? scope.owner === EVERYONE && scope.user === undefined
    : inScope(scope, userId);
}

function event(id: number, at: Date, value: RequestLogValue): RunEvent {
  return { id, runId: "", seq: 0, createdAt: at.getTime(), event: custom(CUSTOM.log, value) };
}

export function requestEvent(r: HttpRecord & { id: number }): RunEvent {
  return event(r.id, r.at, {
    level: httpLevel(r.status),
    timestamp: r.at.getTime(),
    agent: null,
    category: HTTP_CATEGORY,
    message: httpMessage(r),
    properties: {
      method: r.method,
      path: r.path,
      status: r.status,
      duration_ms: Math.round(r.durationMs * 10) / 10,
    },
    kind: "http",
    requestId: r.requestId,
    userId: r.userId,
  });
}

/** A stored request record as the tail's event. */
export function storedRequestEvent(r: LogRecordRow): RunEvent {
  return event(r.id, r.at, {
    level: r.level,
    timestamp: r.at.getTime(),
    agent: null,
    category: r.category,
    message: r.message,
    properties: r.properties,
    kind: "http",
    requestId: r.requestId ?? "",
    userId: r.userId,
  });
}

export class RequestTail {
  #recent: RunEvent[] = [];
  readonly #keep: number;

  constructor(
    private readonly o: {
      /** An event id now, or null (the spine's EventIdPool.take). */
      take(): number | null;
      publish(topic: string, ev: RunEvent): void;
      keep?: number;
    },
  ) {
    this.#keep = o.keep ?? 200;
  }

  /** Gives the record its id and publishes it; the record to store (without id: not tailed). */
  add(r: HttpRecord): HttpRecord {
    const id = this.o.take();
    if (id === null) return r;
    const ev = requestEvent({ ...r, id });
    this.#recent.push(ev);
    if (this.#recent.length > this.#keep) this.#recent.shift();
    this.o.publish(LOGS_TOPIC, ev);
    if (r.userId !== null) this.o.publish(ownerLogsTopic(r.userId), ev);
    return { ...r, id };
  }

  /** The newest tailed records after `after` that the scope may see, oldest first. */
  recent(scope: OwnerScope, after: number): RunEvent[] {
    return this.#recent.filter((ev) => ev.id > after && requestInScope(scope, requestUserOf(ev)));
  }
}
