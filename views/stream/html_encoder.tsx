/**
 * The HTML encoding of a run's events for htmx 4 SSE: each event becomes ONE unnamed SSE message
 * (`id: <ev.id>` + `data:` lines) whose HTML is only out-of-band fragments built from the same
 * components as the page:
 *   - appends: `<hx-partial hx-target="#…" hx-swap="beforeend">` (answer and tool-argument deltas,
 *     new tree nodes, log rows; a <template> underneath, so <li>/<tr> survive parsing);
 *   - in-place updates: the component's root element with `hx-swap-oob="true"` (node heads and
 *     statuses, progress, agent rows, usage, composer), or `hx-swap-oob="innerHTML"` for the
 *     aria-live status line so the live region itself stays.
 * The terminal event is followed by a NAMED `event: done` message (not swapped) that closes a
 * re-attached `hx-sse:connect` stream (`hx-sse:close="done"`).
 *
 * The encoder is stateless: what it renders comes from the one event, so each event is encoded
 * once and the same bytes go to every subscriber.
 */
import { contentToText } from "@ag-ui/core";
import {
  type AgUiEvent,
  CUSTOM,
  EventType,
  isTerminal,
  type RunEvent,
} from "../../agents/spine/events.ts";
import type { AgentStatusValue, LlmCallFinishedValue } from "../../agents/spine/events.ts";
import type { LlmCallStartedValue, LogValue, ProgressValue } from "../../agents/spine/events.ts";
import type { BudgetWarningValue, RunCostValue } from "../../agents/spine/events.ts";
import * as convert from "../run/convert.ts";
import { foldRun } from "../run/fold.ts";
import * as F from "../chat/fragments.tsx";
import { agentNodeId, ids, llmParent, subagentParent, toolParent } from "../run/dom_ids.ts";
import { runPanels } from "./oob.tsx";
import type { RunView } from "../run/run_view.ts";
import { append, oob, sseMessage, statusLine } from "./oob.tsx";

export { append, oob, runPanels, sseMessage, statusLine } from "./oob.tsx";

export {
  chatErrorFragments,
  chatErrorHtml,
  chatStartFragments,
  chatStartHtml,
} from "./chat_start.tsx";
export type { ChatStart } from "./chat_start.tsx";

const utf8 = new TextEncoder();

/** The encoder the lead plugs into the run stream: bytes of one SSE message, or null. */
export function htmlEncoder(ev: RunEvent): Uint8Array | null {
  const html = eventHtml(ev);
  if (html === null) return null;
  let out = sseMessage(html, { id: ev.id });
  if (isTerminal(ev.event)) out += doneMessage(ev.runId);
  return utf8.encode(out);
}

const doneMessage = (runId: string) => sseMessage(runId, { event: "done" });

/** The `done` alone: ends a stream resumed at or after the run's terminal event. */
export function htmlStreamEnd(runId: string): Uint8Array {
  return utf8.encode(doneMessage(runId));
}

/** The fragments for one event, or null when it changes nothing on screen. */
export function eventHtml(ev: RunEvent): string | null {
  const e: AgUiEvent = ev.event;
  const runId = ev.runId;
  switch (e.type) {
    case EventType.RUN_STARTED:
      return runPanels(foldRun([ev]), "Working on your question.");
    case EventType.TEXT_MESSAGE_START:
      return e.subagentRunId
        ? append(
          ids.children(agentNodeId(runId, e.subagentRunId)),
          <F.MessageNode node={convert.messageNode(e.messageId)} />,
        )
        : append(ids.answerText(runId), <F.AnswerMessage messageId={e.messageId} text="" />);
    case EventType.TEXT_MESSAGE_CONTENT:
      return e.delta ? append(ids.message(e.messageId), e.delta) : null;
    case EventType.TOOL_CALL_START: {
      const parent = toolParent(runId, convert.toolSpanId(e), e.subagentRunId);
      return append(ids.children(parent), <F.ToolNode node={convert.toolNode(e)} />);
    }
    case EventType.TOOL_CALL_ARGS:
      return e.delta ? append(ids.args(ids.toolNode(e.toolCallId)), e.delta) : null;
    case EventType.TOOL_CALL_END:
      return oob(<F.ToolStatus nodeId={ids.toolNode(e.toolCallId)} status="running" />);
    case EventType.TOOL_CALL_RESULT: {
      const nodeId = ids.toolNode(e.toolCallId);
      const text = contentToText(e.content);
      return oob(<F.ToolStatus nodeId={nodeId} status={convert.toolResultState(text)} />) +
        oob(<F.ToolResult nodeId={nodeId} result={text} />);
    }
    case EventType.SUBAGENT_STARTED: {
      const parent = subagentParent(runId, e.parentToolCallId, e.parentSubagentRunId);
      return append(ids.children(parent), <F.AgentNode node={convert.subagentNode(e)} />);
    }
    case EventType.SUBAGENT_FINISHED:
      return oob(
        <F.AgentBadge nodeId={ids.agentNode(e.subagentRunId)} status="completed" detail={null} />,
      );
    case EventType.SUBAGENT_ERROR:
      return oob(
        <F.AgentBadge nodeId={ids.agentNode(e.subagentRunId)} status="error" detail={e.message} />,
      );
    case EventType.CUSTOM:
      return customHtml(runId, e.name, e.value);
    case EventType.RUN_FINISHED:
    case EventType.RUN_ERROR:
      return terminalHtml(foldRun([ev]));
    default:
      return null;
  }
}

function customHtml(runId: string, name: string, value: unknown): string | null {
  switch (name) {
    case CUSTOM.progress: {
      const p = value as ProgressValue;
      return oob(<F.ProgressBar progress={p} />) + statusLine(F.progressText(p));
    }
    case CUSTOM.agentStatus: {
      const { agent, status, subagentRunId, detail = null } = value as AgentStatusValue;
      const nodeId = agentNodeId(runId, subagentRunId);
      return oob(<F.AgentRowState name={agent} status={status} detail={detail} />) +
        oob(<F.AgentBadge nodeId={nodeId} status={status} detail={detail} />);
    }
    case CUSTOM.llmCallStarted: {
      const s = value as LlmCallStartedValue;
      return append(
        ids.children(llmParent(runId, s.subagentRunId)),
        <F.LlmNode node={convert.llmNode(s)} />,
      );
    }
    case CUSTOM.llmCallFinished:
      return oob(<F.LlmHead call={convert.finishedCall(value as LlmCallFinishedValue)} />);
    case CUSTOM.log:
      return append(ids.logList, <F.LogRow log={value as LogValue} />);
    case CUSTOM.runCost:
      return oob(<F.LiveCost cost={value as RunCostValue} />);
    case CUSTOM.budgetWarning:
      return oob(<F.BudgetBanner warning={value as BudgetWarningValue} />);
    default:
      return null;
  }
}

/** Ends the in-flight state: final answer, notices, usage, composer back to idle. */
function terminalHtml(v: RunView): string {
  const { runId, state, usage, error } = v;
  return [
    oob(<F.RunStateBadge state={state} />),
    v.answer.final !== null ? oob(<F.AnswerBody runId={runId} answer={v.answer} />) : "",
    oob(<F.AnswerFoot runId={runId} state={state} usage={usage} error={error} />),
    oob(<F.UsageSummary usage={usage} state={state} />),
    oob(<F.ComposerControls runId={null} />),
    oob(<F.ConnectionIndicator state="ended" />),
    statusLine(F.statusText(v)),
  ].join("");
}
