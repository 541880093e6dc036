/**
 * Where a gateway call shows up. A call naming a run of the caller's that is active here (a
 * remote agent passes its run id on) joins that run: its llm_call events go into the run's
 * journal, so the call appears in the run's tree as it starts and gets its tokens and cost as it
 * ends. Otherwise the call is recorded with its attribution in the row's metadata.
 */
import type { Sql } from "../../db/client.ts";
import { getRun } from "../../db/runs.ts";
import { CUSTOM, custom } from "../spine/events.ts";
import type { Journals, RunJournal } from "../spine/journal.ts";
import type { LlmCallScope, LlmStreamObserver } from "../llm/types.ts";
import type { Attribution } from "./attribution.ts";
import type { GatewayCaller } from "./gateway.ts";

export const GATEWAY_AGENT = "gateway";

export interface GatewaySessionsDeps {
  sql: Sql;
  journals: Journals;
}

export class GatewaySessions {
  /** Conversation ids of the active runs calls joined, so only the first call asks the db. */
  readonly #conversations = new Map<string, string>();

  constructor(private readonly deps: GatewaySessionsDeps) {}

  async attach(
    caller: GatewayCaller,
    who: Attribution,
  ): Promise<{ scope: LlmCallScope; observer: LlmStreamObserver }> {
    const agentName = who.agent ?? GATEWAY_AGENT;
    const metadata = {
      via: "gateway",
      ...(caller.keyId && { keyId: caller.keyId }),
      ...(who.session && { session: who.session }),
      ...(who.endUser && { endUser: who.endUser }),
      ...(who.traceId && { traceId: who.traceId }),
    };
    const base = {
      userId: caller.userId,
      agentName,
      operation: "chat",
      parentSpanId: who.parentSpanId,
      metadata,
    };
    const joined = who.runId ? await this.#joinRun(caller, who.runId) : null;
    if (!joined) {
      return {
        scope: {
          ...base,
          runId: null,
          conversationId: null,
          ...(who.runId && { metadata: { ...metadata, unknownRun: who.runId } }),
        },
        observer: {},
      };
    }
    return {
      scope: { ...base, runId: joined.journal.runId, conversationId: joined.conversationId },
      observer: spanObserver(joined.journal),
    };
  }

  async #joinRun(caller: GatewayCaller, runId: string) {
    const journal = this.deps.journals.get(runId);
    if (!journal || journal.ended || journal.owner !== caller.userId) return null;
    let conversationId = this.#conversations.get(runId);
    if (!conversationId) {
      const run = await getRun(this.deps.sql, runId, { owner: caller.userId });
      if (!run) return null;
      conversationId = run.conversationId;
      this.#conversations.set(runId, conversationId);
    }
    if (this.#conversations.size > 1_000) this.#forgetEnded();
    return { journal, conversationId };
  }

  #forgetEnded(): void {
    for (const runId of this.#conversations.keys()) {
      if (!this.deps.journals.get(runId)) this.#conversations.delete(runId);
    }
  }
}

/** The call as a span of the run's tree: started, then finished with its tokens and cost. */
function spanObserver(journal: RunJournal): LlmStreamObserver {
  return {
    onCallStarted: (v) => journal.emit(custom(CUSTOM.llmCallStarted, v)),
    onCallFinished: (v) => journal.emit(custom(CUSTOM.llmCallFinished, v)),
  };
}
