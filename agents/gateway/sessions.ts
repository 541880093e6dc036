/**
 * Where a gateway call shows up — always on the spine, never beside it.
 *
 * - A call naming a run of the caller's that is active here (a remote agent passes its run id
 *   on) joins that run: its spans go into the run's journal, so it appears in the run's tree as
 *   it starts and gets its tokens and cost as it ends.
 * - Any other call belongs to an external session: the X-Glassbox-Session header's, or else the
 *   key's own. A session is shown like a run — a conversation (one per session name and user,
 *   so a session that comes back finds its history), a run with a journal, RUN_STARTED — and each
 *   call adds its span, its streamed text, tool calls, log lines and the running usage totals.
 *   After `idleMs` without a call the run ends (RUN_FINISHED with the totals); the next call
 *   opens the next run of the same conversation.
 */
import type { Sql } from "../../db/client.ts";
import * as conversations from "../../db/conversations.ts";
import { finishRun, getRun, insertRun } from "../../db/runs.ts";
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
import type { LlmCallScope, LlmStreamObserver } from "../llm/types.ts";
import type { Attribution } from "./attribution.ts";
import type { GatewayCaller } from "./gateway.ts";

export const GATEWAY_AGENT = "gateway";

/** Where one gateway call goes, and how it is shown. */
export interface AttachedCall {
  scope: LlmCallScope;
  observer: LlmStreamObserver;
  /** Into the run the call belongs to (budget warnings). */
  emit(ev: AgUiEvent): void;
  /**
   * A budget refused the call before it was sent, or cut its stream: a session's run ends
   * stopped with the reason, as a run that a budget stops does; a joined run (someone else's,
   * which its own checks stop) gets a log line.
   */
  stopped(kind: StopKind, what: string, resetAt: Date | null, made?: boolean): Promise<void>;
}
const log = getLogger("gateway");

export interface GatewaySessionsDeps {
  sql: Sql;
  journals: Journals;
  /** A session's run ends after this long without a call. */
  idleMs: number;
  /** This process, as runs record who runs them. */
  instanceId: string;
  /** The queue the calls' rows went to: a session's final status waits for its own. */
  recorder: { stored(runId: string): Promise<void> };
}

export class GatewaySessions {
  /** Conversation ids of the active runs calls joined, so only the first call asks the db. */
  readonly #joined = new Map<string, string>();
  /** Open sessions by owner and name. */
  readonly #open = new Map<string, Promise<ExternalSession>>();
  /** The same, by run id. */
  readonly #byRun = new Map<string, ExternalSession>();

  constructor(private readonly deps: GatewaySessionsDeps) {}

  /** Whether this run is an external session still open here. */
  isLive(runId: string): boolean {
    return this.#byRun.has(runId);
  }

  async attach(caller: GatewayCaller, who: Attribution): Promise<AttachedCall> {
    const agentName = who.agent ?? GATEWAY_AGENT;
    const label = who.session ?? (caller.keyId ? `key ${caller.keyId}` : "local");
    const metadata = {
      via: "gateway",
      session: label,
      ...(caller.keyId && { keyId: caller.keyId }),
      ...(who.endUser && { endUser: who.endUser }),
      ...(who.traceId && { traceId: who.traceId }),
    };
    const base = {
      userId: caller.userId,
      agentName,
      operation: "chat",
      parentSpanId: who.parentSpanId,
    };
    const joined = who.runId ? await this.#joinRun(caller, who.runId) : null;
    if (joined) {
      const { journal, conversationId } = joined;
      return {
        scope: { ...base, metadata, runId: journal.runId, conversationId },
        observer: liveObserver(journal.runId, agentName, (ev) => journal.emit(ev), {}),
        emit: (ev) => journal.emit(ev),
        stopped: (_kind, what) => {
          withRunContext(
            { runId: journal.runId, agent: agentName },
            () => log.warn("Gateway call stopped: {what}", { what }),
          );
          return Promise.resolve();
        },
      };
    }
    const session = await this.#session(caller.userId, label);
    return {
      scope: {
        ...base,
        runId: session.runId,
        conversationId: session.conversationId,
        metadata: who.runId ? { ...metadata, unknownRun: who.runId } : metadata,
      },
      observer: session.observer(agentName),
      emit: (ev) => session.scope.emit(ev),
      stopped: (kind, what, resetAt, made) => session.stop(agentName, kind, what, resetAt, made),
    };
  }

  /** Ends every open session (at shutdown). */
  async close(): Promise<void> {
    const open = await Promise.allSettled(this.#open.values());
    await Promise.all(
      open.flatMap((s) => s.status === "fulfilled" ? [s.value.end()] : []),
    );
  }

  async #joinRun(caller: GatewayCaller, runId: string) {
    const journal = this.deps.journals.get(runId);
    if (!journal || journal.ended || journal.owner !== caller.userId) return null;
    if (this.#byRun.has(runId)) return null; // a session's own run: it is joined by its name
    let conversationId = this.#joined.get(runId);
    if (!conversationId) {
      const run = await getRun(this.deps.sql, runId, { owner: caller.userId });
      if (!run) return null;
      conversationId = run.conversationId;
      if (this.#joined.size > 1_000) this.#forgetEnded();
      this.#joined.set(runId, conversationId);
    }
    return { journal, conversationId };
  }

  #forgetEnded(): void {
    for (const runId of this.#joined.keys()) {
      if (!this.deps.journals.get(runId)) this.#joined.delete(runId);
    }
  }

  #session(userId: string, label: string): Promise<ExternalSession> {
    const key = `${userId}\u0000${label}`;
    let open = this.#open.get(key);
    if (!open) {
      open = this.#start(userId, label, () => {
        this.#open.delete(key);
      });
      this.#open.set(key, open);
      open.catch(() => this.#open.delete(key));
    }
    return open;
  }

  async #start(userId: string, label: string, onEnding: () => void): Promise<ExternalSession> {
    const { sql, journals } = this.deps;
    const conversationId = await sessionConversationId(userId, label);
    const runId = crypto.randomUUID();
    const userMessageId = crypto.randomUUID();
    const userMessage = `Calls through the LLM gateway (session ${label})`;
    await sql.begin(async (t) => {
      const tx = t as unknown as Sql;
      if ((await conversations.conversationOwner(tx, conversationId)) === null) {
        await conversations.createConversation(tx, {
          id: conversationId,
          userId,
          title: `Gateway · ${label}`,
        });
      }
      await insertRun(tx, {
        id: runId,
        conversationId,
        userId,
        agent: GATEWAY_AGENT,
        teamVersion: null,
        instanceId: this.deps.instanceId,
      });
      await conversations.insertMessage(tx, {
        id: userMessageId,
        conversationId,
        runId,
        role: "user",
        content: userMessage,
      });
    });
    const journal = journals.open(runId, userId);
    const session = new ExternalSession(
      { runId, conversationId, userId },
      journal,
      this.deps,
      () => {
        onEnding();
        this.#byRun.delete(runId);
      },
    );
    this.#byRun.set(runId, session);
    journal.emit({
      type: EventType.RUN_STARTED,
      threadId: conversationId,
      runId,
      metadata: {
        agent: GATEWAY_AGENT,
        agents: [{ name: GATEWAY_AGENT, title: "LLM gateway" }],
        userId,
        model: null,
        external: true,
        session: label,
        userMessageId,
        userMessage,
      },
    });
    return session;
  }
}

/** One external session's run while it is open. */
class ExternalSession {
  readonly scope: RunScope;
  readonly #started = performance.now();
  #inFlight = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ended: Promise<void> | null = null;

  constructor(
    readonly ids: { runId: string; conversationId: string; userId: string },
    private readonly journal: RunJournal,
    private readonly deps: GatewaySessionsDeps,
    private readonly onEnding: () => void,
  ) {
    const emit = (ev: AgUiEvent) => journal.emit(ev);
    this.scope = new RunScope(
      ids,
      { usage: noUsageTool },
      new AbortController().signal,
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
        if (--this.#inFlight === 0) this.#arm();
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

  /** RUN_FINISHED with the totals, every event and call row stored, then the run's status. */
  end(stop: RunStoppedValue | null = null): Promise<void> {
    this.#ended ??= (async () => {
      clearTimeout(this.#timer);
      this.onEnding();
      const { runId, conversationId } = this.ids;
      this.scope.closeOpen();
      if (stop) this.scope.emit(custom(CUSTOM.runStopped, stop));
      this.scope.emit({
        type: EventType.RUN_FINISHED,
        threadId: conversationId,
        runId,
        result: runResult(this.scope, "", this.#started),
        outcome: stop ? stoppedOutcome(stop) : { type: "success" },
        usage: tokenUsage(this.scope),
      });
      // Every event and call row is stored before the status is final (kept and retried
      // while the database is away).
      await Promise.all([this.deps.journals.close(runId), this.deps.recorder.stored(runId)]);
      await untilStored(
        "the session's status",
        () =>
          finishRun(this.deps.sql, runId, stop ? "stopped" : "succeeded", stop?.message ?? null),
      );
    })();
    return this.#ended;
  }
}

/** A session has no tools, so nothing asks for usage. */
const noUsageTool = () => Promise.reject(new Error("no tools in a gateway session"));

/**
 * One call as the run's tree shows it: its span (started, then finished with tokens and cost), a
 * log line for each, and — in a session, where nobody else speaks — its text and tool calls as
 * they stream through.
 */
function liveObserver(
  runId: string,
  agent: string,
  emit: (ev: AgUiEvent) => void,
  opts: {
    text?: boolean;
    onStarted?: () => void;
    onFinished?: (v: Parameters<NonNullable<LlmStreamObserver["onCallFinished"]>>[0]) => void;
  },
): LlmStreamObserver {
  const messageId = crypto.randomUUID();
  let spanId = "";
  let textOpen = false;
  const toolCalls: string[] = [];
  const logged = (fn: () => void) => withRunContext({ runId, agent }, fn);
  return {
    onCallStarted(v) {
      spanId = v.spanId;
      opts.onStarted?.();
      emit(custom(CUSTOM.agentStatus, { agent, status: "working" }));
      emit(custom(CUSTOM.llmCallStarted, v));
      logged(() => log.info("Gateway call to {model} ({provider})", { ...v }));
    },
    onTextDelta(delta) {
      if (!opts.text) return;
      if (!textOpen) {
        textOpen = true;
        emit({ type: EventType.TEXT_MESSAGE_START, messageId, role: "assistant" });
      }
      emit({ type: EventType.TEXT_MESSAGE_CONTENT, messageId, delta });
    },
    onToolCallStart(call) {
      if (!opts.text) return;
      toolCalls.push(call.id);
      emit({
        type: EventType.TOOL_CALL_START,
        toolCallId: call.id,
        toolCallName: call.name,
        parentMessageId: messageId,
        metadata: { spanId },
      });
    },
    onToolCallArgs(toolCallId, delta) {
      if (opts.text) emit({ type: EventType.TOOL_CALL_ARGS, toolCallId, delta });
    },
    onCallFinished(v) {
      if (textOpen) emit({ type: EventType.TEXT_MESSAGE_END, messageId });
      for (const toolCallId of toolCalls) emit({ type: EventType.TOOL_CALL_END, toolCallId });
      emit(custom(CUSTOM.llmCallFinished, v));
      opts.onFinished?.(v);
      emit(custom(CUSTOM.agentStatus, { agent, status: v.status === "ok" ? "idle" : "error" }));
      const level = v.status === "ok" ? "info" : "warn";
      logged(() =>
        log[level]("Gateway call {status}: {inputTokens} in / {outputTokens} out in {ms} ms", {
          ...v,
          ms: Math.round(v.durationMs),
        })
      );
    },
  };
}

/** The same user and session name always make the same conversation id (a v8-style UUID). */
async function sessionConversationId(userId: string, label: string): Promise<string> {
  const data = new TextEncoder().encode(`glassbox-gateway\u0000${userId}\u0000${label}`);
  const b = new Uint8Array(await crypto.subtle.digest("SHA-256", data)).slice(0, 16);
  b[6] = (b[6] & 0x0f) | 0x80;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}
