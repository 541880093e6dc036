/**
 * The recording LLM gateway: an OpenAI-compatible chat-completions endpoint for apps that
 * already exist. It checks the request, picks the provider (models.ts), asks the budget, works
 * out whose call it is (attribution.ts, sessions.ts) and forwards it (forward.ts), which records
 * the attempt and answers the client.
 */
import type { ContentLogging } from "../../config.ts";
import type { LlmCallRow } from "../../db/llm_calls.ts";
import { forward } from "./forward.ts";
import { type ProviderSource, routeModel } from "./models.ts";
import type { Attribution } from "./attribution.ts";
import type { GatewaySessions } from "./sessions.ts";

/** Who is calling: the key's owner (every call is theirs) and the key. */
export interface GatewayCaller {
  userId: string;
  /** The API key's public id; calls without a session header are grouped per key. */
  keyId: string | null;
}

/**
 * Whether the caller may spend more now (issue 12's budgets plug in here); `retryAfterS` is sent
 * as Retry-After with the 429.
 */
export type BudgetCheck = (
  caller: GatewayCaller,
) => Promise<{ ok: true } | { ok: false; message: string; retryAfterS: number }>;

export interface GatewayDeps {
  /** The app's one LlmCallRecorder: gateway calls' rows are queued with in-app calls'. */
  recorder: { record(row: LlmCallRow): void };
  contentLogging: ContentLogging;
  idleTimeoutMs: number;
  /** The current team's providers. */
  providers: () => ProviderSource;
  sessions: GatewaySessions;
  budget?: BudgetCheck;
}

/** A request refused before anything was sent upstream. */
export class GatewayRefusal extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 429,
    readonly code: string,
    message: string,
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

const MAX_MODEL = 400;

export class Gateway {
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
    const budget = await this.deps.budget?.(caller);
    if (budget && !budget.ok) {
      throw new GatewayRefusal(429, "budget_exceeded", budget.message, budget.retryAfterS);
    }
    const { scope, observer, stop } = await this.deps.sessions.attach(caller, who);
    // Stopped while it was being attached: nothing was sent, nothing is recorded.
    if (stop.signal.aborted) throw new GatewayRefusal(409, "session_stopped", stop.why);
    return await forward(this.deps, {
      provider: route.provider,
      body: { ...b, model: route.model },
      scope,
      attempt: 1 + clientRetries,
      observer,
      stop,
    });
  }

  /** Stops a gateway session's run (Stop); null when the run is no session open here. */
  cancel(runId: string): Promise<void> | null {
    return this.deps.sessions.cancel(runId);
  }

  /** Whether a run is a gateway session still open here. */
  isLive(runId: string): boolean {
    return this.deps.sessions.isLive(runId);
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
