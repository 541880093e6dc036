/**
 * The DOM id contract shared by the page render and the SSE encoder. Every id is derived from an
 * event id (runId, spanId, toolCallId, subagentRunId, messageId, agent name), so a fragment sent
 * live lands on the element the page rendered, and a reloaded page has the same ids.
 *
 * Ids are made CSS-selector safe: anything outside [A-Za-z0-9_-] becomes `_xx` (hex code point), so
 * `#${id}` works as an hx-target without escaping. UUIDs and snake_case names pass unchanged.
 */

/** Log rows kept in the page (and shown by CSS); older rows are dropped. */
export const LOG_LIMIT = 200;

export function safeId(raw: string): string {
  return raw.replace(
    /[^A-Za-z0-9_-]/g,
    (c) => `_${c.codePointAt(0)!.toString(16).padStart(2, "0")}`,
  );
}

export const ids = {
  // Page regions.
  chatTitle: "chat-title",
  transcript: "transcript",
  conversationList: "conversation-list",
  conversationId: "conversation-id",
  composerControls: "composer-controls",
  progress: "progress",
  runState: "run-state",
  statusLine: "status-line",
  connection: "connection",
  tree: "run-tree",
  agents: "agent-status",
  logList: "log-list",
  usage: "usage",
  liveCost: "run-cost",
  budgetBanner: "budget-banner",

  // One turn of the conversation (one run).
  turn: (runId: string) => `turn-${safeId(runId)}`,
  answer: (runId: string) => `answer-${safeId(runId)}`,
  answerBody: (runId: string) => `answer-${safeId(runId)}-body`,
  answerText: (runId: string) => `answer-${safeId(runId)}-text`,
  answerFoot: (runId: string) => `answer-${safeId(runId)}-foot`,
  /** A streamed text message (the answer's, or a sub-agent's in the tree): deltas append here. */
  message: (messageId: string) => `msg-${safeId(messageId)}`,

  // Tree nodes: `<li id=node>` holding `#node-head` and `#node-children`.
  rootNode: (runId: string) => `node-agent-root-${safeId(runId)}`,
  agentNode: (subagentRunId: string) => `node-agent-${safeId(subagentRunId)}`,
  llmNode: (spanId: string) => `node-llm-${safeId(spanId)}`,
  toolNode: (toolCallId: string) => `node-tool-${safeId(toolCallId)}`,
  messageNode: (messageId: string) => `node-msg-${safeId(messageId)}`,
  head: (nodeId: string) => `${nodeId}-head`,
  children: (nodeId: string) => `${nodeId}-children`,
  status: (nodeId: string) => `${nodeId}-status`,
  args: (nodeId: string) => `${nodeId}-args`,
  result: (nodeId: string) => `${nodeId}-result`,

  // Agent status panel.
  agentRow: (name: string) => `agent-row-${safeId(name)}`,
  agentRowState: (name: string) => `agent-row-${safeId(name)}-state`,
} as const;

/** The node a sub-agent's (or the root agent's) work hangs under. */
export function agentNodeId(runId: string, subagentRunId: string | undefined | null): string {
  return subagentRunId ? ids.agentNode(subagentRunId) : ids.rootNode(runId);
}

// Placement: which node a new node hangs under. The fold and the encoder both use these, so a
// node appears in the same place live and after a reload. Each returns the parent's node id; the
// new node is appended to `ids.children(parent)`.

/** An LLM call hangs under the agent that made it. */
export function llmParent(runId: string, subagentRunId: string | undefined | null): string {
  return agentNodeId(runId, subagentRunId);
}

/** A tool call hangs under the LLM call that asked for it (metadata.spanId). */
export function toolParent(
  runId: string,
  spanId: string | undefined | null,
  subagentRunId: string | undefined | null,
): string {
  return spanId ? ids.llmNode(spanId) : agentNodeId(runId, subagentRunId);
}

/** A sub-agent hangs under the `ask_<name>` tool call that invoked it. */
export function subagentParent(
  runId: string,
  parentToolCallId: string | undefined | null,
  parentSubagentRunId: string | undefined | null,
): string {
  return parentToolCallId
    ? ids.toolNode(parentToolCallId)
    : agentNodeId(runId, parentSubagentRunId);
}
