/** The conversation column's turns: a past turn shows its answer and its recorded trace. */
import { formatDuration } from "../common/format.ts";
import * as F from "./fragments.tsx";
import { renderMarkdown } from "../common/markdown.ts";
import type { RunView, TreeNodeView } from "../run/run_view.ts";

/** The runs table's status (db/runs.ts RunStatus), as recorded when the run ended. */
export type RecordedStatus = string;

export interface TurnInput {
  userMessage: string;
  run?: RunView & { runId: string; status: RecordedStatus };
  /** The stored answer, for turns whose events are gone or that never had a run. */
  assistantText?: string;
}

/**
 * A run that is not live but whose events stop short of a terminal event (the process died)
 * is shown with its recorded status instead of as running forever.
 */
export function settle(run: RunView & { status: RecordedStatus }, live: boolean): RunView {
  if (live || (run.state !== "running" && run.state !== "pending")) return run;
  const map: Record<string, RunView["state"]> = {
    succeeded: "succeeded",
    cancelled: "cancelled",
    failed: "failed",
    interrupted: "failed",
  };
  const state = map[run.status] ?? "failed";
  const error = state === "failed"
    ? { message: `The run ended without finishing (${run.status}).`, code: null }
    : run.error;
  return { ...run, state, error };
}

export function TurnView({ turn, activeRunId }: { turn: TurnInput; activeRunId?: string }) {
  const { run, userMessage, assistantText } = turn;
  if (!run) {
    return (
      <article class="turn">
        <F.UserBubble text={userMessage} />
        {assistantText
          ? (
            <div class="bubble bubble-assistant">
              <div class="bubble-who">Glassbox</div>
              <div class="answer-body">{renderMarkdown(assistantText)}</div>
            </div>
          )
          : null}
      </article>
    );
  }
  const live = run.runId === activeRunId;
  const v = settle(run, live);
  const streamed = v.answer.messages.some((m) => m.text);
  const answer = !live && v.answer.final === null && !streamed && assistantText
    ? { ...v.answer, final: assistantText }
    : v.answer;
  return (
    <F.Turn
      runId={v.runId}
      userMessage={userMessage}
      answer={answer}
      state={v.state}
      usage={v.usage}
      error={v.error}
      trace={live ? undefined : <Trace run={v} />}
    />
  );
}

/** The recorded execution tree, collapsed, without ids (the live panel owns those). */
export function Trace({ run }: { run: RunView }) {
  const calls = count(run.tree.children, "llm");
  const tools = count(run.tree.children, "tool");
  const parts = [
    `${calls} LLM call${calls === 1 ? "" : "s"}`,
    `${tools} tool call${tools === 1 ? "" : "s"}`,
  ];
  if (run.usage) parts.push(formatDuration(run.usage.durationMs));
  return (
    <details class="trace">
      <summary>
        Execution trace <span class="muted">· {parts.join(" · ")}</span>
      </summary>
      <F.RunTree root={run.tree} live={false} />
    </details>
  );
}

function count(nodes: TreeNodeView[], kind: TreeNodeView["kind"]): number {
  return nodes.reduce(
    (n, node) =>
      n + (node.kind === kind ? 1 : 0) + ("children" in node ? count(node.children, kind) : 0),
    0,
  );
}
