/**
 * Where RecordingLlmClient puts its llm_calls rows: an ordered, batched, retrying queue (the
 * spine's BatchWriter, as for events) rather than an awaited INSERT, so recording costs a call
 * microseconds on its path and a call that ends while the database is away is kept, not lost.
 * The guarantees are the writer's: rows are stored in the order the calls ended, retried until
 * the database takes them; a row Postgres refuses for good (SQLSTATE 22, 23) is stored without
 * its content, with the reason in metadata.recording_error. A run waits for its own rows
 * (`stored(runId)`) before its final status is written.
 */
import { BatchWriter, type WriterOptions } from "../spine/event_writer.ts";
import type { Sql } from "../../db/client.ts";
import { insertLlmCalls, type LlmCallRow } from "../../db/llm_calls.ts";

export class LlmCallRecorder {
  readonly #writer: BatchWriter<LlmCallRow>;
  /** The ticket of each run's latest row, until the run asks for it. */
  readonly #lastOfRun = new Map<string, number>();
  /** Told of each row as it is recorded (before it is stored): budgets' running totals. */
  readonly #observers: ((row: LlmCallRow) => void)[] = [];

  constructor(
    sql: Sql,
    opts: Pick<
      WriterOptions<LlmCallRow>,
      "onError" | "onRejected" | "flushMs" | "storeTimeoutMs" | "onStoreTimeout"
    > = {},
  ) {
    this.#writer = new BatchWriter({ store: (rows) => insertLlmCalls(sql, rows) }, {
      ...opts,
      placeholder: withoutContent,
    });
  }

  get pending(): number {
    return this.#writer.pending;
  }

  /** `fn` hears every row recorded from now on, as it is recorded. */
  observe(fn: (row: LlmCallRow) => void): void {
    this.#observers.push(fn);
  }

  record(row: LlmCallRow): void {
    const ticket = this.#writer.enqueue(row);
    for (const fn of this.#observers) fn(row);
    if (row.runId !== null) this.#lastOfRun.set(row.runId, ticket);
  }

  /** Resolves once every row of the run recorded so far is stored. */
  async stored(runId: string): Promise<void> {
    const ticket = this.#lastOfRun.get(runId);
    if (ticket === undefined) return;
    await this.#writer.whenWritten(ticket);
    if (this.#lastOfRun.get(runId) === ticket) this.#lastOfRun.delete(runId);
  }

  /** Resolves once every row recorded so far is stored. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }
}

/** The row without what Postgres may have refused: content, parameters and metadata. */
function withoutContent(row: LlmCallRow, error: unknown): LlmCallRow {
  const e = error as { code?: unknown; message?: unknown };
  const reason = `${typeof e?.code === "string" ? e.code : ""} ${String(e?.message ?? error)}`;
  return {
    ...row,
    requestParams: {},
    prompt: null,
    response: null,
    toolDefinitions: null,
    toolCalls: null,
    errorMessage: null,
    metadata: { recording_error: reason.trim().toWellFormed().replaceAll("\0", "\uFFFD") },
  };
}
