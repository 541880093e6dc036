/**
 * The execution tree: agent → LLM calls → tool calls → sub-agent → … Each node is
 * `<li id=node>` = a head (`#node-head`, replaced in place as the node progresses) plus parts that
 * only grow (`#node-children`, tool `#node-args`) or are set once (tool `#node-result`). Updates
 * replace a head or a status, never the node, so its children stay.
 *
 * `live={false}` renders the same markup without ids: a past turn's recorded tree in the
 * transcript must not collide with (or receive) the live panel's updates.
 */
import type { AgentState } from "../../agents/spine/events.ts";
import { formatCost, formatDuration, formatInt } from "../common/format.ts";
import { ids } from "../run/dom_ids.ts";
import type {
  AgentNodeView,
  LlmCallView,
  LlmNodeView,
  MessageNodeView,
  ToolNodeView,
  ToolState,
  TreeNodeView,
} from "../run/run_view.ts";

interface Live {
  live?: boolean;
}

const idIf = (live: boolean | undefined, id: string) => live === false ? undefined : id;

/** The tree panel's list: the root agent node of a run, or an empty hint before any run. */
export function RunTree({ root, live }: { root: AgentNodeView | null } & Live) {
  return (
    <ul class="tree" id={idIf(live, ids.tree)}>
      {root
        ? <TreeNode node={root} live={live} />
        : <li class="empty-hint">The agents' work appears here as a tree while they answer.</li>}
    </ul>
  );
}

export function TreeNode({ node, live }: { node: TreeNodeView } & Live) {
  switch (node.kind) {
    case "agent":
      return <AgentNode node={node} live={live} />;
    case "llm":
      return <LlmNode node={node} live={live} />;
    case "tool":
      return <ToolNode node={node} live={live} />;
    case "message":
      return <MessageNode node={node} live={live} />;
  }
}

function Children({ nodeId, nodes, live }: { nodeId: string; nodes: TreeNodeView[] } & Live) {
  return (
    <ul class="node-children" id={idIf(live, ids.children(nodeId))}>
      {nodes.map((n) => <TreeNode key={n.nodeId} node={n} live={live} />)}
    </ul>
  );
}

function Kind({ kind, label }: { kind: string; label: string }) {
  return <span class={`node-kind kind-${kind}`}>{label}</span>;
}

export function AgentNode({ node, live }: { node: AgentNodeView } & Live) {
  return (
    <li
      class={`node node-agent${node.subagentRunId ? "" : " node-root"}`}
      id={idIf(live, node.nodeId)}
    >
      <div class="node-head" id={idIf(live, ids.head(node.nodeId))}>
        <Kind kind="agent" label="Agent" />
        <span class="node-title">{node.title}</span>
        <span class="node-sub">{node.name}</span>
        <AgentBadge nodeId={node.nodeId} status={node.status} detail={node.detail} live={live} />
      </div>
      <Children nodeId={node.nodeId} nodes={node.children} live={live} />
    </li>
  );
}

/** The status part of an agent node's head (agent_status / SUBAGENT_* events replace it). */
export function AgentBadge(
  props: { nodeId: string; status: AgentState; detail: string | null } & Live,
) {
  const { status, detail } = props;
  // "idle" after a stop carries why ("cancelled", "interrupted"): say that instead.
  const label = status === "idle" && detail ? detail : status;
  return (
    <span class="node-status" id={idIf(props.live, ids.status(props.nodeId))}>
      <span class={`badge badge-${status}`}>{label}</span>
      {status === "error" && detail ? <span class="node-detail">{detail}</span> : null}
    </span>
  );
}

export function LlmNode({ node, live }: { node: LlmNodeView } & Live) {
  // Only what is worth a line: a non-default operation, a retry.
  const op = node.operation === "chat" ? "" : node.operation.replace(/_/g, " ");
  const meta = [op, node.attempt > 1 ? `attempt ${node.attempt}` : ""].filter(Boolean).join(" · ");
  return (
    <li class="node node-llm" id={idIf(live, node.nodeId)}>
      <LlmHead call={node.call} live={live} />
      {meta ? <div class="node-meta">{meta}</div> : null}
      <Children nodeId={node.nodeId} nodes={node.children} live={live} />
    </li>
  );
}

/** Everything here is in llm_call_finished, so the live update equals the page render. */
export function LlmHead({ call, live }: { call: LlmCallView } & Live) {
  const nodeId = ids.llmNode(call.spanId);
  const done = call.status !== "running";
  return (
    <div class="node-head" id={idIf(live, ids.head(nodeId))}>
      <Kind kind="llm" label="LLM" />
      <span class="node-title">{call.model}</span>
      <span class="node-sub">{call.agent}</span>
      <span class="node-status">
        <span class={`badge badge-${call.status}`}>{call.status}</span>
      </span>
      {done
        ? (
          <span class="node-stats">
            <span title="input tokens → output tokens">
              {formatInt(call.inputTokens)} → {formatInt(call.outputTokens)} tok
            </span>
            <span>{formatCost(call.costUsd)}</span>
            <span title="duration">{formatDuration(call.durationMs)}</span>
            {call.ttftMs !== null
              ? <span title="time to first token">TTFT {formatDuration(call.ttftMs)}</span>
              : null}
            <a
              class="node-link"
              href={`/calls/${call.callId}`}
              title="Prompt, response, all fields"
            >
              details
            </a>
          </span>
        )
        : null}
      {call.errorMessage ? <span class="node-detail">{call.errorMessage}</span> : null}
    </div>
  );
}

export function ToolNode({ node, live }: { node: ToolNodeView } & Live) {
  return (
    <li class="node node-tool" id={idIf(live, node.nodeId)}>
      <div class="node-head" id={idIf(live, ids.head(node.nodeId))}>
        <Kind kind="tool" label="Tool" />
        {node.server
          ? <span class="node-server" title={`MCP server ${node.server}`}>{node.server}</span>
          : null}
        <span class="node-title">{node.name}</span>
        <ToolStatus nodeId={node.nodeId} status={node.status} live={live} />
      </div>
      <pre
        class="node-args"
        id={idIf(live, ids.args(node.nodeId))}
        title="Arguments"
      >{node.args}</pre>
      <ToolResult nodeId={node.nodeId} result={node.result} live={live} />
      <Children nodeId={node.nodeId} nodes={node.children} live={live} />
    </li>
  );
}

const TOOL_LABEL: Record<ToolState, string> = {
  streaming: "preparing",
  running: "running",
  done: "done",
  error: "error",
};

export function ToolStatus(props: { nodeId: string; status: ToolState } & Live) {
  return (
    <span class="node-status" id={idIf(props.live, ids.status(props.nodeId))}>
      <span class={`badge badge-${props.status}`}>{TOOL_LABEL[props.status]}</span>
    </span>
  );
}

export function ToolResult(props: { nodeId: string; result: string | null } & Live) {
  const id = idIf(props.live, ids.result(props.nodeId));
  if (props.result === null) return <div class="node-result" id={id} hidden></div>;
  const chars = Array.from(props.result).length;
  return (
    <details class="node-result" id={id} open={chars <= 240}>
      <summary>
        Result <span class="muted">({formatInt(chars)} chars)</span>
      </summary>
      <pre>{props.result}</pre>
    </details>
  );
}

export function MessageNode({ node, live }: { node: MessageNodeView } & Live) {
  return (
    <li class="node node-msg" id={idIf(live, node.nodeId)}>
      <div class="node-head">
        <Kind kind="msg" label="Text" />
        <span class="node-sub">wrote</span>
      </div>
      <div class="node-text" id={idIf(live, ids.message(node.messageId))}>{node.text}</div>
    </li>
  );
}
