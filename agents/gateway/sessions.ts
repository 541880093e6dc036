/**
 * Where a gateway call shows up — always on the spine, never beside it.
 *
 * - A call naming a run of the caller's that is active here (a remote agent passes its run id
 *   on) joins that run: its spans go into the run's journal, so it appears in the run's tree as
 *   it starts and gets its tokens and cost as it ends; they add to the run's totals like the
 *   run's own calls, and Stop on the run aborts it.
 * - Any other call belongs to an external session: the X-Glassbox-Session header's, or else the
 *   key's own. A session is shown like a run — a conversation (one per session name and user,
 *   so a session that comes back finds its history), a run with a journal, RUN_STARTED — and each
 *   call adds its span, its streamed text, tool calls, log lines and the running usage totals.
 *   After `idleMs` without a call the run ends (RUN_FINISHED with the totals); the next call
 *   opens the next run of the same conversation.
 * - Stop on a session's run (cancel) aborts its calls in flight (recorded as cancelled), ends the
 *   run `cancelled` (RUN_FINISHED, outcome cancelled), and refuses the session's next calls
 *   (409 session_stopped) until it has been left alone for `idleMs`; another session name
 *   starts a new session at once.
 */
import type { Sql } from "../../db/client.ts";
import * as conversations from "../../db/conversations.ts";
import { insertRun } from "../../db/runs.ts";
import { type AgUiEvent, EventType, type StopKind } from "../spine/events.ts";
import { getLogger, withRunContext } from "../logging/logging.ts";
import { RunScope } from "../runtime/run_scope.ts";
import type { LlmCallScope, LlmStreamObserver } from "../llm/types.ts";
import type { Attribution } from "./attribution.ts";
import { type GatewayCaller, GatewayRefusal } from "./gateway.ts";
import {
  ExternalSession,
  GATEWAY_AGENT,
  type SessionEnd,
  type SessionRunDeps,
} from "./external_session.ts";
import { liveObserver } from "./live_observer.ts";

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
  /** Aborted when the run the call belongs to is stopped (Stop); `why` is told to the client. */
  cancel: { signal: AbortSignal; why: string };
}
const log = getLogger("gateway");

export interface GatewaySessionsDeps extends SessionRunDeps {
  /** This process, as runs record who runs them. */
  instanceId: string;
  /** Runs active here (a remote agent's, which its calls join): their scope. */
  runs: { scopeOf(runId: string): RunScope | undefined };
}

export class GatewaySessions {
  /** Open sessions by owner and name. */
  readonly #open = new Map<string, Promise<ExternalSession>>();
  /** The same, by run id. */
  readonly #byRun = new Map<string, ExternalSession>();
  /** Sessions stopped by their user, by owner and name: when a call last found them so. */
  readonly #stopped = new Map<string, number>();

  constructor(private readonly deps: GatewaySessionsDeps) {}

  /** Whether this run is an external session still open here. */
  isLive(runId: string): boolean {
    return this.#byRun.has(runId);
  }

  /** Stops a session's run (Stop); null when the run is no session open here. */
  cancel(runId: string): Promise<void> | null {
    return this.#byRun.get(runId)?.end("cancelled") ?? null;
  }

  /**
   * Where a call would go, opening nothing: `open` when it joins a run active here or a session
   * already open; else the conversation a new session would have (its run does not exist yet).
   * Refuses a stopped session's call as `attach` would.
   */
  async peek(
    caller: GatewayCaller,
    who: Attribution,
  ): Promise<{ open: boolean; conversationId: string; agentName: string; label: string }> {
    const agentName = who.agent ?? GATEWAY_AGENT;
    const label = sessionLabel(caller, who);
    const run = who.runId ? this.#joinRun(caller, who.runId) : null;
    if (run) return { open: true, conversationId: run.ids.conversationId, agentName, label };
    const key = `${caller.userId}\u0000${label}`;
    this.#refuseStopped(key, label);
    const open = this.#open.get(key);
    const session = open ? await open.catch(() => null) : null;
    if (session) return { open: true, conversationId: session.conversationId, agentName, label };
    const conversationId = await sessionConversationId(caller.userId, label);
    return { open: false, conversationId, agentName, label };
  }

  async attach(caller: GatewayCaller, who: Attribution): Promise<AttachedCall> {
    const agentName = who.agent ?? GATEWAY_AGENT;
    const label = sessionLabel(caller, who);
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
    const run = who.runId ? this.#joinRun(caller, who.runId) : null;
    if (run) {
      const { runId, conversationId } = run.ids;
      return {
        scope: { ...base, metadata, runId, conversationId },
        // The run's own totals (and so its RUN_FINISHED and usage) count the call.
        observer: liveObserver(runId, agentName, (ev) => run.emit(ev), {
          onFinished: (v) => run.countCall(v),
        }),
        emit: (ev) => run.emit(ev),
        stopped: (_kind, what) => {
          withRunContext(
            { runId, agent: agentName },
            () => log.warn("Gateway call stopped: {what}", { what }),
          );
          return Promise.resolve();
        },
        cancel: { signal: run.signal, why: `run ${runId} was stopped` },
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
      cancel: {
        signal: session.scope.signal,
        why: `the gateway session "${label}" was stopped by its user (Stop)`,
      },
    };
  }

  /**
   * Stops every open session as Stop does (calls in flight aborted and recorded, the run ended
   * `cancelled`): this instance lost its lease and another may take the sessions' runs over
   * (agents/runs/instance_lease.ts). A session still opening is stopped once it is open.
   */
  cancelAll(): Promise<void> {
    const ends = [...this.#open].map(([key, open]) =>
      open.then((session) => {
        const ended = session.end("cancelled");
        this.#stopped.delete(key); // not its user's Stop: its next call may open a new session
        return ended;
      })
    );
    return Promise.allSettled(ends).then(() => {});
  }

  /** Ends every open session (at shutdown). */
  async close(): Promise<void> {
    const open = await Promise.allSettled(this.#open.values());
    await Promise.all(
      open.flatMap((s) => s.status === "fulfilled" ? [s.value.end()] : []),
    );
  }

  /** The caller's run active here that the call names, while it has not ended. */
  #joinRun(caller: GatewayCaller, runId: string): RunScope | null {
    // A session's own run is no run of the manager's: it is joined by its name.
    const run = this.deps.runs.scopeOf(runId);
    const journal = this.deps.journals.get(runId);
    if (!run || !journal || journal.ended || run.ids.userId !== caller.userId) return null;
    return run;
  }

  #session(userId: string, label: string): Promise<ExternalSession> {
    const key = `${userId}\u0000${label}`;
    this.#refuseStopped(key, label);
    let open = this.#open.get(key);
    if (!open) {
      open = this.#start(userId, label, (how) => {
        this.#open.delete(key);
        if (how === "cancelled") this.#stopped.set(key, performance.now());
      });
      this.#open.set(key, open);
      open.catch(() => this.#open.delete(key));
    }
    return open;
  }

  /**
   * A stopped session stays refused while calls keep coming (each one restarts the wait), so an
   * app in a loop is really stopped; left alone for `idleMs`, it may start again.
   */
  #refuseStopped(key: string, label: string): void {
    const now = performance.now();
    const at = this.#stopped.get(key);
    if (at === undefined) return;
    if (now - at >= this.deps.idleMs) {
      this.#stopped.delete(key);
      return;
    }
    this.#stopped.set(key, now);
    if (this.#stopped.size > 1_000) {
      for (const [k, t] of this.#stopped) if (now - t >= this.deps.idleMs) this.#stopped.delete(k);
    }
    const wait = Math.ceil(this.deps.idleMs / 1000);
    throw new GatewayRefusal(
      409,
      "session_stopped",
      `the gateway session "${label}" was stopped by its user (Stop); its calls are refused ` +
        `until it has had none for ${wait} s — or send another X-Glassbox-Session`,
    );
  }

  async #start(
    userId: string,
    label: string,
    onEnding: (how: SessionEnd) => void,
  ): Promise<ExternalSession> {
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
      (how) => {
        onEnding(how);
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

/** The session a call without a run belongs to: its header's, else its key's. */
function sessionLabel(caller: GatewayCaller, who: Attribution): string {
  return who.session ?? (caller.keyId ? `key ${caller.keyId}` : "local");
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
