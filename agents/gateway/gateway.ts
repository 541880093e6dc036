/**
 * The recording LLM gateway: an OpenAI-compatible chat-completions endpoint for apps that
 * already exist. It checks the request, picks the provider (models.ts), asks the budget, works
 * out whose call it is (attribution.ts, sessions.ts) and forwards it (forward.ts), which records
 * the attempt and answers the client.
 *
 * Budgets are the runs' own (agents/budgets): before a call is sent its worst case (prompt plus
 * max_tokens) is checked — over a limit it is refused with 429, Retry-After at the window's
 * reset, and the session's run ends stopped as a run would (a call with no session open is
 * checked before one opens: refused, it opens no run, only logs); while it streams its output is
 * metered and the stream is cut (an OpenAI-style error event) once the running cost passes a
 * limit; after it, warnings and limits reached are announced once per window.
 */
import type { ContentLogging } from "../../config/logging.ts";
import type { LlmCallRow } from "../../db/llm_calls.ts";
import type { BudgetChecker, BudgetDecision } from "../budgets/checker.ts";
import { type CallContext, limitPhrase } from "../budgets/budget.ts";
import { type CallEstimate, estimateCall } from "../budgets/estimate.ts";
import { getLogger } from "../logging/logging.ts";
import { announceCrossings } from "../budgets/run_guard.ts";
import { priceOf } from "../llm/cost.ts";
import type { LlmStreamObserver } from "../llm/types.ts";
import { BudgetStop, forward, type ForwardInput } from "./forward.ts";
import { type ProviderSource, routeModel } from "./models.ts";
import type { Attribution } from "./attribution.ts";
import type { GatewaySessions } from "./sessions.ts";

/** Who is calling: the key's owner (every call is theirs) and the key. */
export interface GatewayCaller {
  userId: string;
  /** The API key's public id; calls without a session header are grouped per key. */
  keyId: string | null;
  /** The HTTP request's id (x-request-id), for the log record of a call refused unseen. */
  requestId?: string;
}

export interface GatewayDeps {
  /** The app's one LlmCallRecorder: gateway calls' rows are queued with in-app calls'. */
  recorder: { record(row: LlmCallRow): void };
  contentLogging: ContentLogging;
  idleTimeoutMs: number;
  /** The current team's providers. */
  providers: () => ProviderSource;
  sessions: GatewaySessions;
  /** The budgets every LLM call is checked against; absent: none. */
  budget?: BudgetChecker;
}

/** A budget's (or the unpriced policy's) refusal as the client is told it. */
function refusal(decision: Extract<BudgetDecision, { allow: false }>): GatewayRefusal {
  // An unpriced model refused by policy will not be priced by waiting: 403, not 429.
  if (!decision.budget) return new GatewayRefusal(403, "unpriced_refused", decision.reason);
  return new GatewayRefusal(
    429,
    "budget_exceeded",
    decision.reason,
    decision.retryAfterS ?? undefined,
  );
}

/** A request refused before anything was sent upstream. */
export class GatewayRefusal extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 429,
    readonly code: string,
    message: string,
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

const MAX_MODEL = 400;
const log = getLogger("gateway");
/** The nil UUID: the run a session not open yet would have, in its budget check. */
const UNOPENED_RUN = "00000000-0000-0000-0000-000000000000";

/** The most output the client allows (max_completion_tokens, or the older max_tokens). */
function maxTokensOf(b: Record<string, unknown>): number | undefined {
  for (const v of [b.max_completion_tokens, b.max_tokens]) {
    if (typeof v === "number" && Number.isSafeInteger(v) && v > 0) return v;
  }
  return undefined;
}

export class Gateway {
  /** Per run: the announcing of its latest call's budget crossings, while it runs. */
  readonly #announcing = new Map<string, Promise<void>>();

  constructor(private readonly deps: GatewayDeps) {}

  /** Forwards one chat-completion request; throws GatewayRefusal for the client's mistakes. */
  async chat(
    caller: GatewayCaller,
    who: Attribution,
    body: unknown,
    clientRetries: number,
  ): Promise<Response> {
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new GatewayRefusal(400, "invalid_body", "the body must be a JSON object");
    }
    const b = body as Record<string, unknown>;
    if (typeof b.model !== "string" || !b.model || b.model.length > MAX_MODEL) {
      throw new GatewayRefusal(400, "invalid_body", "model must be a non-empty string");
    }
    if (!Array.isArray(b.messages) || b.messages.length === 0) {
      throw new GatewayRefusal(400, "invalid_body", "messages must be a non-empty array");
    }
    const route = routeModel(this.deps.providers(), b.model);
    if (!route.ok) throw new GatewayRefusal(404, "model_not_found", route.message);
    const checker = this.deps.budget;
    const price = priceOf(route.provider.prices, route.model);
    const estimate = checker && estimateCall(price, {
      messages: b.messages,
      tools: Array.isArray(b.tools) ? b.tools : undefined,
      maxTokens: maxTokensOf(b),
    }, checker.settings.assumedMaxOutput);
    if (checker && estimate) await this.#refuseUnseen(checker, caller, who, estimate, route.model);
    const call = await this.deps.sessions.attach(caller, who);
    const { scope } = call;
    const forwarded = { ...b, model: route.model };
    const attempt = 1 + clientRetries;
    // Stopped while it was being attached or checked: nothing is sent, nothing recorded.
    const send = (input: Pick<ForwardInput, "observer" | "stop">) => {
      if (call.cancel.signal.aborted) {
        throw new GatewayRefusal(409, "session_stopped", call.cancel.why);
      }
      return forward(this.deps, {
        provider: route.provider,
        body: forwarded,
        scope,
        attempt,
        cancel: call.cancel,
        ...input,
      });
    };
    if (!checker || !estimate) return await send({ observer: call.observer });
    const ctx: CallContext = {
      userId: scope.userId,
      agentName: scope.agentName,
      conversationId: scope.conversationId ?? null,
      runId: scope.runId ?? null,
    };
    // What the run's last call reached is announced before this call can end the run.
    await this.#announcing.get(scope.runId ?? "");
    const decision = await checker.check(ctx, estimate, route.model);
    if (!decision.allow) {
      // Not awaited: the client's answer does not wait for the run's status to be stored.
      void call.stopped(
        decision.budget ? "budget" : "unpriced",
        decision.reason,
        decision.resetAt,
      );
      throw refusal(decision);
    }
    // Only a stream can be stopped part way; a whole answer is counted when it arrives.
    const stop = new AbortController();
    const streaming = b.stream === true;
    let cut: { what: string; resetAt: Date | null } | null = null;
    const meter = checker.meter(ctx, decision.windows, estimate, price, (w, metric) => {
      if (streaming && !cut) {
        cut = { what: `${limitPhrase(w.budget, metric)} reached`, resetAt: w.resetAt };
        stop.abort(new BudgetStop(cut.what));
      }
    });
    const o = call.observer;
    const announcing = this.#announcing;
    const observer: LlmStreamObserver = {
      ...o,
      onTextDelta(delta) {
        o.onTextDelta?.(delta);
        meter.output(delta.length);
      },
      onToolCallArgs(id, delta) {
        o.onToolCallArgs?.(id, delta);
        meter.output(delta.length);
      },
      onCallFinished(v) {
        meter.end();
        o.onCallFinished?.(v);
        // Announced first: a limit the cut call reached is told in the run it ends.
        const runId = scope.runId ?? "";
        const announced = announceCrossings(checker, ctx, call.emit).then(async () => {
          if (cut) await call.stopped("budget", cut.what, cut.resetAt, true);
        });
        announcing.set(runId, announced);
        void announced.finally(() => {
          if (announcing.get(runId) === announced) announcing.delete(runId);
        });
      },
    };
    try {
      return await send({ observer, stop: stop.signal });
    } catch (err) {
      meter.end();
      throw err;
    }
  }

  /**
   * A call that opens no session yet (none is open, it joins no run) is checked before one is
   * opened: refused, it leaves no run — a client that ignores Retry-After would otherwise leave a
   * stopped run per request — but a log record with its request id, whose it is and the budget.
   */
  async #refuseUnseen(
    checker: BudgetChecker,
    caller: GatewayCaller,
    who: Attribution,
    estimate: CallEstimate,
    model: string,
  ): Promise<void> {
    const where = await this.deps.sessions.peek(caller, who);
    if (where.open) return;
    const ctx: CallContext = {
      userId: caller.userId,
      agentName: where.agentName,
      conversationId: where.conversationId,
      // The run the session would open has spent nothing: one fixed id, never any call's, so
      // its run budget is checked (worst case against the limit) without a window per request.
      runId: UNOPENED_RUN,
    };
    const decision = await checker.check(ctx, estimate, model);
    if (decision.allow) return;
    log.warn("Gateway call refused (no session opened): {reason}", {
      reason: decision.reason,
      requestId: caller.requestId ?? null,
      userId: caller.userId,
      session: where.label,
      agent: where.agentName,
      budget: decision.budget && {
        scope: decision.budget.scope,
        period: decision.budget.period,
        subject: decision.budget.subject,
        metric: decision.metric,
      },
      resetAt: decision.resetAt?.toISOString() ?? null,
    });
    throw refusal(decision);
  }

  /** Whether a run is a gateway session still open here. */
  isLive(runId: string): boolean {
    return this.deps.sessions.isLive(runId);
  }

  /** Stops a gateway session's run (Stop); null when the run is no session open here. */
  cancel(runId: string): Promise<void> | null {
    return this.deps.sessions.cancel(runId);
  }

  /** Stops every open session's run (this instance lost its lease). */
  cancelSessions(): Promise<void> {
    return this.deps.sessions.cancelAll();
  }

  /** Ends every open session's run (at shutdown). */
  closeSessions(): Promise<void> {
    return this.deps.sessions.close();
  }

  /** What /llm/v1/models lists. */
  providers(): ProviderSource {
    return this.deps.providers();
  }
}
