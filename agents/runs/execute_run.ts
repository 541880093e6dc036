/**
 * executeRun: a run's whole life after it started — the agent works, then its answer or failure
 * becomes the terminal event (RUN_FINISHED with outcome success/cancelled, or RUN_ERROR; a run
 * stopped by a budget or guard sends glassbox.run_stopped, then RUN_FINISHED cancelled with
 * `stoppedBy`, keeping its partial answer), then the answer, every event and LLM-call row, and
 * finally the run's status are stored — in that order, so whoever sees a final status finds the
 * whole stream and every call.
 */
import type { Sql } from "../../db/client.ts";
import * as conversations from "../../db/conversations.ts";
import { finishRun } from "../../db/runs.ts";
import {
  CUSTOM,
  custom,
  EventType,
  type RunResult,
  type RunStoppedValue,
} from "../spine/events.ts";
import type { Journals } from "../spine/journal.ts";
import { isPermanentDbError } from "../spine/event_writer.ts";
import { getLogger } from "../logging/logging.ts";
import type { RunScope } from "../runtime/run_scope.ts";
import { runAgent } from "../runtime/agent_loop.ts";
import { runRemoteAgent } from "../remote/agui_remote.ts";
import type { ChatMessage } from "../llm/types.ts";
import type { AgentDef } from "../runtime/types.ts";

const log = getLogger("runs");

/** The abort reason of a run stopped because too many events wait to be stored. */
export const STORAGE_FULL = "storage_full";
export const STORAGE_FULL_MESSAGE = "Stopped: the database has been unreachable for too long to " +
  "keep more of this run in memory. Everything it produced until now is kept, and stored once " +
  "the database is back.";

/** The abort reason of a run stopped because this instance lost its lease (instance_lease.ts). */
export const LEASE_LOST = "lease_lost";
export const LEASE_LOST_MESSAGE = "Stopped: this server could not renew its lease on the " +
  "database in time, so another server may take the run over. Start the run again.";

export type RunOutcome =
  | { status: "succeeded"; answer: string; result: RunResult }
  | { status: "cancelled" | "interrupted"; answer: string; result: RunResult }
  | { status: "stopped"; answer: string; stop: RunStoppedValue; result: RunResult }
  | { status: "failed"; error: string; result: RunResult };

export interface FinishDeps {
  sql: Sql;
  journals: Journals;
  /** The queue the run's llm_calls rows went to. */
  llmCalls: { stored(runId: string): Promise<void> };
}

export async function executeRun(
  deps: FinishDeps,
  agent: AgentDef,
  messages: ChatMessage[],
  scope: RunScope,
  started: number,
): Promise<RunOutcome> {
  const { runId, conversationId } = scope.ids;
  let answer = "";
  let outcome: RunOutcome;
  scope.agentStatus(agent.name, "starting");
  try {
    answer = agent.remote
      ? await runRemoteAgent(agent.name, agent.remote, messages, scope)
      : await runAgent(agent, messages, scope, { parentSpanId: null });
    outcome = { status: "succeeded", answer, result: runResult(scope, answer, started) };
    // Logged before the terminal event: nothing is added to a run's stream after it.
    log.info("Run succeeded: {calls} LLM calls", { calls: scope.usage.llmCalls });
    scope.agentStatus(agent.name, "completed");
    scope.progress.finish("Done", true);
    scope.emit({
      type: EventType.RUN_FINISHED,
      threadId: conversationId,
      runId,
      result: outcome.result,
      outcome: { type: "success" },
      usage: tokenUsage(scope),
    });
  } catch (err) {
    scope.closeOpen();
    if (scope.stopped) answer = scope.partialAnswer;
    const result = runResult(scope, answer, started);
    if (scope.stopped) {
      const stop = scope.stopped;
      outcome = { status: "stopped", answer, stop, result };
      log.warn("Run {message}", { message: stop.message, kind: stop.kind });
      scope.agentStatus(agent.name, "idle", undefined, stop.message);
      scope.progress.finish(capitalised(stop.message), false);
      scope.emit(custom(CUSTOM.runStopped, stop));
      scope.emit({
        type: EventType.RUN_FINISHED,
        threadId: conversationId,
        runId,
        result,
        // AG-UI's cancelled outcome is a loose object: what stopped the run travels in it.
        outcome: stoppedOutcome(stop),
        usage: tokenUsage(scope),
      });
    } else if (scope.signal.aborted && scope.signal.reason === STORAGE_FULL) {
      // Too much held unstored (the database away too long): stopped, its events all kept.
      const error = STORAGE_FULL_MESSAGE;
      outcome = { status: "failed", error, result };
      log.error("Run stopped: {error}", { error });
      scope.agentStatus(agent.name, "error", undefined, error);
      scope.progress.finish("Stopped", false);
      scope.emit({ type: EventType.RUN_ERROR, message: error, code: "storage_unavailable" });
    } else if (scope.signal.aborted && scope.signal.reason === LEASE_LOST) {
      // Fenced: another instance may already have ended it; nothing of its answer is kept.
      const error = LEASE_LOST_MESSAGE;
      outcome = { status: "interrupted", answer: "", result };
      log.error("Run stopped: {error}", { error });
      scope.agentStatus(agent.name, "error", undefined, error);
      scope.progress.finish("Stopped", false);
      scope.emit({ type: EventType.RUN_ERROR, message: error, code: LEASE_LOST });
    } else if (scope.signal.aborted) {
      const status = scope.signal.reason === "interrupted" ? "interrupted" : "cancelled";
      outcome = { status, answer, result };
      log.info("Run {status}", { status });
      scope.agentStatus(agent.name, "idle", undefined, status);
      scope.progress.finish(status === "cancelled" ? "Stopped" : "Interrupted", false);
      if (status === "cancelled") {
        scope.emit({
          type: EventType.RUN_FINISHED,
          threadId: conversationId,
          runId,
          result,
          outcome: { type: "cancelled" },
          usage: tokenUsage(scope),
        });
      } else {
        scope.emit({
          type: EventType.RUN_ERROR,
          message: "The server shut down before the run ended.",
          code: "interrupted",
        });
      }
    } else {
      const error = err instanceof Error ? err.message : String(err);
      outcome = { status: "failed", error, result };
      log.error("Run failed: {error}", { error });
      scope.agentStatus(agent.name, "error", undefined, error);
      scope.progress.finish("Failed", false);
      scope.emit({ type: EventType.RUN_ERROR, message: error, code: errorCode(err) });
    }
  }
  await record(deps, scope, outcome);
  return outcome;
}

/** Stores the answer, every event, then the final status: in that order. */
async function record(deps: FinishDeps, scope: RunScope, outcome: RunOutcome): Promise<void> {
  const { sql, journals, llmCalls } = deps;
  const { runId, conversationId } = scope.ids;
  if (outcome.status !== "failed" && outcome.answer) {
    const message = {
      id: crypto.randomUUID(),
      conversationId,
      runId,
      role: "assistant" as const,
      content: outcome.answer,
    };
    await untilStored("the answer", () => conversations.insertMessage(sql, message));
  }
  // The writers keep (and retry) events and call rows until they are stored; only then is the
  // status final.
  await Promise.all([journals.close(runId), llmCalls.stored(runId)]);
  const error = outcome.status === "failed"
    ? outcome.error
    : outcome.status === "stopped"
    ? outcome.stop.message
    : null;
  await untilStored("the run's status", () => finishRun(sql, runId, outcome.status, error));
}

/**
 * Retries a write while the database is away (as the writers do), so an outage delays the run's
 * end instead of losing its answer or status; a write refused for good is logged and skipped.
 */
export async function untilStored(what: string, write: () => Promise<void>): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (isPermanentDbError(err)) {
        log.error("Could not store {what}: {error}", { what, error: String(err) });
        return;
      }
      if (attempt === 0) {
        log.warn("Storing {what} failed; retrying until the database is back: {error}", {
          what,
          error: String(err),
        });
      }
      await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
    }
  }
}

/** The run's totals so far (a gateway session reports them after every call). */
export function runResult(scope: RunScope, answer: string, started: number): RunResult {
  const u = scope.usage;
  return {
    answer,
    llmCalls: u.llmCalls,
    inputTokens: u.tokensKnown ? u.inputTokens : null,
    outputTokens: u.tokensKnown ? u.outputTokens : null,
    costUsd: u.costKnown ? Number(u.costUsd.toFixed(8)) : null,
    durationMs: Math.round(performance.now() - started),
  };
}

/** Tokens per provider and model; unknown stays absent rather than a made-up 0. */
export function tokenUsage(scope: RunScope) {
  return [...scope.byModel.values()].map((m) => ({
    model: m.model,
    provider: m.provider,
    ...(m.tokensKnown && {
      inputTokens: m.inputTokens,
      outputTokens: m.outputTokens,
      totalTokens: m.inputTokens + m.outputTokens,
    }),
  }));
}

/** RUN_FINISHED's outcome for a run a budget or guard stopped. */
export function stoppedOutcome(stop: RunStoppedValue) {
  const outcome = { type: "cancelled" as const, stoppedBy: stop.kind, message: stop.message };
  return outcome;
}

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function errorCode(err: unknown): string {
  if (err && typeof err === "object" && "errorType" in err) return String(err.errorType);
  return "agent_error";
}
