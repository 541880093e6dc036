/**
 * foldRun: a pure fold of one run's events into the view model the page renders. It uses the
 * encoder's placement rules (dom_ids.ts) and node constructors (convert.ts), so a reloaded or
 * past run shows what the live stream showed when it ended.
 */
import { contentToText } from "@ag-ui/core";
import {
  type AgentState,
  type AgentStatusValue,
  type AgUiEvent,
  type BudgetWarningValue,
  CUSTOM,
  EventType,
  type LlmCallFinishedValue,
  type LlmCallStartedValue,
  type LogValue,
  type ProgressValue,
  type RunCostValue,
  type RunEvent,
  type RunResult,
} from "../../agents/spine/events.ts";
import * as convert from "./convert.ts";
import { agentNodeId, ids, llmParent, LOG_LIMIT, subagentParent, toolParent } from "./dom_ids.ts";
import type { RunView, TreeNodeView } from "./run_view.ts";

export interface FoldOptions {
  /** Log records kept (the last N). */
  logLimit?: number;
  /** The run's id when `events` may be empty. */
  runId?: string;
}

/** Builds the view of a run from its events, in seq order. */
export function foldRun(events: RunEvent[], opts: FoldOptions = {}): RunView {
  const runId = events[0]?.runId ?? opts.runId ?? "";
  const view: RunView = {
    runId,
    conversationId: null,
    lastEventId: 0,
    state: "pending",
    model: null,
    demo: false,
    userMessage: null,
    progress: null,
    agents: [],
    tree: convert.rootNode(runId, "", "Agent"),
    answer: { messages: [], final: null },
    logs: [],
    logCount: 0,
    usage: null,
    error: null,
    cost: null,
    budgetWarning: null,
  };
  const folder = new Folder(view, opts.logLimit ?? LOG_LIMIT);
  for (const ev of events) {
    view.lastEventId = ev.id;
    folder.apply(ev.event);
  }
  return view;
}

class Folder {
  readonly #nodes = new Map<string, TreeNodeView>();

  constructor(readonly view: RunView, readonly logLimit: number) {
    this.#nodes.set(view.tree.nodeId, view.tree);
  }

  /** Appends under `parentId`; an unknown parent falls back to the root so nothing is lost. */
  #add(parentId: string, node: TreeNodeView): void {
    if (this.#nodes.has(node.nodeId)) return;
    const parent = this.#nodes.get(parentId);
    const list = parent && parent.kind !== "message" ? parent.children : this.view.tree.children;
    this.#nodes.set(node.nodeId, node);
    list.push(node);
  }

  #node<K extends TreeNodeView["kind"]>(nodeId: string, kind: K) {
    const node = this.#nodes.get(nodeId);
    return node?.kind === kind ? node as Extract<TreeNodeView, { kind: K }> : undefined;
  }

  #agent(nodeId: string, status: AgentState, detail: string | null): void {
    const a = this.#node(nodeId, "agent");
    if (a) Object.assign(a, { status, detail });
  }

  apply(e: AgUiEvent): void {
    const v = this.view;
    switch (e.type) {
      case EventType.RUN_STARTED: {
        const m = e.metadata ?? {};
        const team: { name: string; title: string }[] = Array.isArray(m.agents) ? m.agents : [];
        const name = String(m.agent ?? "");
        Object.assign(v, {
          state: "running",
          conversationId: e.threadId,
          model: typeof m.model === "string" ? m.model : null,
          demo: m.demo === true,
          userMessage: typeof m.userMessage === "string" ? m.userMessage : null,
          progress: { percent: 0, step: 0, totalSteps: 0, message: "Starting…" },
          agents: team.map((a) => ({ name: a.name, title: a.title, status: "idle", detail: null })),
        });
        Object.assign(v.tree, {
          name,
          title: team.find((a) => a.name === name)?.title ?? (name || "Agent"),
        });
        return;
      }
      case EventType.TEXT_MESSAGE_START:
        if (e.subagentRunId) {
          this.#add(agentNodeId(v.runId, e.subagentRunId), convert.messageNode(e.messageId));
        } else v.answer.messages.push({ messageId: e.messageId, text: "" });
        return;
      case EventType.TEXT_MESSAGE_CONTENT: {
        const target = v.answer.messages.find((m) => m.messageId === e.messageId) ??
          this.#node(ids.messageNode(e.messageId), "message");
        if (target) target.text += e.delta;
        return;
      }
      case EventType.TOOL_CALL_START: {
        const parent = toolParent(v.runId, convert.toolSpanId(e), e.subagentRunId);
        this.#add(parent, convert.toolNode(e));
        return;
      }
      case EventType.TOOL_CALL_ARGS: {
        const t = this.#node(ids.toolNode(e.toolCallId), "tool");
        if (t) t.args += e.delta;
        return;
      }
      case EventType.TOOL_CALL_END: {
        const t = this.#node(ids.toolNode(e.toolCallId), "tool");
        if (t) t.status = "running";
        return;
      }
      case EventType.TOOL_CALL_RESULT: {
        const t = this.#node(ids.toolNode(e.toolCallId), "tool");
        if (t) t.result = contentToText(e.content);
        if (t) t.status = convert.toolResultState(t.result!);
        return;
      }
      case EventType.SUBAGENT_STARTED: {
        const parent = subagentParent(v.runId, e.parentToolCallId, e.parentSubagentRunId);
        this.#add(parent, convert.subagentNode(e));
        return;
      }
      case EventType.SUBAGENT_FINISHED:
        return this.#agent(ids.agentNode(e.subagentRunId), "completed", null);
      case EventType.SUBAGENT_ERROR:
        return this.#agent(ids.agentNode(e.subagentRunId), "error", e.message);
      case EventType.CUSTOM:
        return this.#custom(e.name, e.value);
      case EventType.RUN_FINISHED: {
        const result = (e.result ?? null) as RunResult | null;
        v.state = e.outcome?.type === "cancelled" ? "cancelled" : "succeeded";
        // A budget or guard stopped it: why, in the notice and the status line.
        const stop = e.outcome as { stoppedBy?: unknown; message?: unknown } | undefined;
        if (typeof stop?.stoppedBy === "string" && typeof stop.message === "string") {
          v.error = { message: stop.message, code: stop.stoppedBy };
        }
        v.usage = result;
        v.answer.final = result?.answer ? result.answer : null;
        return;
      }
      case EventType.RUN_ERROR:
        v.state = "failed";
        v.error = { message: e.message, code: e.code ?? null };
        return;
    }
  }

  #custom(name: string, value: unknown): void {
    const v = this.view;
    switch (name) {
      case CUSTOM.progress:
        v.progress = { ...(value as ProgressValue) };
        return;
      case CUSTOM.agentStatus: {
        const { agent, status, subagentRunId, detail = null } = value as AgentStatusValue;
        const row = v.agents.find((a) => a.name === agent);
        if (row) Object.assign(row, { status, detail });
        else v.agents.push({ name: agent, title: agent, status, detail });
        return this.#agent(agentNodeId(v.runId, subagentRunId), status, detail);
      }
      case CUSTOM.llmCallStarted: {
        const s = value as LlmCallStartedValue;
        return this.#add(llmParent(v.runId, s.subagentRunId), convert.llmNode(s));
      }
      case CUSTOM.llmCallFinished: {
        const f = value as LlmCallFinishedValue;
        const node = this.#node(ids.llmNode(f.spanId), "llm");
        if (node) node.call = convert.finishedCall(f);
        else {
          const call = convert.finishedCall(f);
          const fresh = {
            kind: "llm",
            nodeId: ids.llmNode(f.spanId),
            call,
            operation: "",
          } as const;
          this.#add(llmParent(v.runId, f.subagentRunId), { ...fresh, attempt: 1, children: [] });
        }
        return;
      }
      case CUSTOM.runCost:
        v.cost = value as RunCostValue;
        return;
      case CUSTOM.budgetWarning:
        v.budgetWarning = value as BudgetWarningValue;
        return;
      case CUSTOM.log: {
        const { level, timestamp, agent, category, message } = value as LogValue;
        v.logCount++;
        v.logs.push({ level, timestamp, agent, category, message });
        if (v.logs.length > this.logLimit) v.logs.splice(0, v.logs.length - this.logLimit);
        return;
      }
    }
  }
}
