/**
 * One external session's run while it is open (sessions.ts opens it): the calls it records, its
 * idle timer, and how it ends — after its idle time, stopped by a budget, or by Stop.
 */
import type { Sql } from "../../db/client.ts";
import { finishRun } from "../../db/runs.ts";
import {
  type AgUiEvent,
  CUSTOM,
  custom,
  EventType,
  type RunStoppedValue,
  type StopKind,
} from "../spine/events.ts";
import type { Journals, RunJournal } from "../spine/journal.ts";
import { getLogger, withRunContext } from "../logging/logging.ts";
import { ProgressTracker } from "../runtime/progress.ts";
import { RunScope } from "../runtime/run_scope.ts";
import { runResult, stoppedOutcome, tokenUsage, untilStored } from "../runs/execute_run.ts";
import type { LlmStreamObserver } from "../llm/types.ts";
import { liveObserver } from "./live_observer.ts";

/** The agent of a session's run (migration 010's one-run-per-conversation index leaves it out). */
export const GATEWAY_AGENT = "gateway";

const log = getLogger("gateway");

/** What a session's run needs to record itself. */
export interface SessionRunDeps {
  sql: Sql;
  journals: Journals;
  /** A session's run ends after this long without a call. */
  idleMs: number;
  /** The queue the calls' rows went to: a session's final status waits for its own. */
  recorder: { stored(runId: string): Promise<void> };
}

/** How a session's run ends: after its idle time, stopped by a budget, or by Stop. */
export type SessionEnd = "succeeded" | "stopped" | "cancelled";

/** One external session's run while it is open. */
export class ExternalSession {
  readonly scope: RunScope;
  readonly #started = performance.now();
  /** Stop: aborts the calls in flight. */
  readonly #cancel = new AbortController();
  #inFlight = 0;
  /** Waiting for the calls in flight to be recorded. */
  #settled: (() => void)[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Set the moment it starts ending. */
  #ending = false;
  #ended: Promise<void> | null = null;

  constructor(
    readonly ids: { runId: string; conversationId: string; userId: string },
    private readonly journal: RunJournal,
    private readonly deps: SessionRunDeps,
    private readonly onEnding: (how: SessionEnd) => void,
  ) {
    const emit = (ev: AgUiEvent) => journal.emit(ev);
    this.scope = new RunScope(
      ids,
      { usage: noUsageTool },
      this.#cancel.signal,
      new ProgressTracker(1, (v) => emit(custom(CUSTOM.progress, v))),
      emit,
    );
    this.#arm();
  }

  get runId(): string {
    return this.ids.runId;
  }

  get conversationId(): string {
    return this.ids.conversationId;
  }

  observer(agent: string): LlmStreamObserver {
    return liveObserver(this.runId, agent, (ev) => this.scope.emit(ev), {
      text: true,
      onStarted: () => {
        this.#inFlight++;
        clearTimeout(this.#timer);
      },
      onFinished: (v) => {
        this.scope.countCall(v);
        this.scope.emit(custom(CUSTOM.usage, runResult(this.scope, "", this.#started)));
        if (--this.#inFlight > 0) return;
        if (!this.#ending) this.#arm();
        for (const settled of this.#settled.splice(0)) settled();
      },
    });
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.end(), this.deps.idleMs);
  }

  /**
   * A budget refused a call of the session, or cut one: the run ends as a run a budget stops does —
   * glassbox.run_stopped ("stopped: daily budget $5.00 reached at call 3": the call refused
   * or cut is the step), RUN_FINISHED
   * cancelled with `stoppedBy`, status stopped — and the session's next call opens the next run.
   */
  stop(
    agent: string,
    kind: StopKind,
    what: string,
    resetAt: Date | null,
    /** The call was made (and counted): cut, not refused. */
    made = false,
  ): Promise<void> {
    const step = this.scope.usage.llmCalls + (made ? 0 : 1);
    const stop: RunStoppedValue = {
      kind,
      message: `stopped: ${what} at call ${step}`,
      step,
      totalSteps: step,
      resetAt: resetAt?.getTime() ?? null,
    };
    withRunContext(
      { runId: this.runId, agent },
      () => log.warn("Run {message}", { message: stop.message, kind }),
    );
    return this.end(stop);
  }

  /**
   * RUN_FINISHED with the totals, every event and call row stored, then the run's status: a
   * budget's `stop`, `"cancelled"` (Stop: the calls in flight are aborted and recorded first),
   * or else succeeded.
   */
  end(stop: RunStoppedValue | "cancelled" | null = null): Promise<void> {
    if (this.#ended) return this.#ended;
    const how: SessionEnd = stop === "cancelled" ? "cancelled" : stop ? "stopped" : "succeeded";
    const budget = stop === "cancelled" ? null : stop;
    this.#ending = true;
    clearTimeout(this.#timer);
    this.onEnding(how);
    this.#ended = (async () => {
      const { runId, conversationId } = this.ids;
      if (how === "cancelled") {
        this.#cancel.abort(new Error("the gateway session was stopped"));
        if (this.#inFlight > 0) await new Promise<void>((r) => this.#settled.push(r));
        withRunContext({ runId, agent: GATEWAY_AGENT }, () => log.info("Session stopped"));
      }
      this.scope.closeOpen();
      if (budget) this.scope.emit(custom(CUSTOM.runStopped, budget));
      this.scope.emit({
        type: EventType.RUN_FINISHED,
        threadId: conversationId,
        runId,
        result: runResult(this.scope, "", this.#started),
        outcome: budget
          ? stoppedOutcome(budget)
          : { type: how === "cancelled" ? "cancelled" : "success" },
        usage: tokenUsage(this.scope),
      });
      // Every event and call row is stored before the status is final (kept and retried
      // while the database is away).
      await Promise.all([this.deps.journals.close(runId), this.deps.recorder.stored(runId)]);
      await untilStored(
        "the session's status",
        () => finishRun(this.deps.sql, runId, how, budget?.message ?? null),
      );
    })();
    return this.#ended;
  }
}

/** A session has no tools, so nothing asks for usage. */
const noUsageTool = () => Promise.reject(new Error("no tools in a gateway session"));
