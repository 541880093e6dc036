/**
 * Running the tool calls a model asked for: a tool's result (or its error, which the model gets
 * to read), or a sub-agent's whole run as a child of the call. Either way the call ends with a
 * TOOL_CALL_RESULT event and the text handed back to the model.
 */
import { EventType } from "../spine/events.ts";
import { getLogger, withRunContext } from "../logging/logging.ts";
import type { RunScope } from "./run_scope.ts";
import { type AgentPosition, runAgent } from "./agent_loop.ts";
import type { ToolSet } from "./tool_set.ts";
import type { LlmToolCall } from "../llm/types.ts";
import type { AgentDef, ToolDef } from "./types.ts";

const log = getLogger("runtime");

/** A model's tool call with the id its events carry (namespaced per LLM call: agent_loop.ts). */
export interface RunToolCall extends LlmToolCall {
  eventId: string;
}

/** Runs one tool call (or sub-agent) of those offered and returns the text for the model. */
export async function runToolCall(
  agent: AgentDef,
  offered: ToolSet,
  call: RunToolCall,
  scope: RunScope,
  at: AgentPosition,
): Promise<string> {
  const sub = at.subagentRunId;
  let args: Record<string, unknown>;
  try {
    const parsed = call.arguments.trim() ? JSON.parse(call.arguments) : {};
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw 0;
    args = parsed;
  } catch {
    return reportResult(
      scope,
      call,
      `error: arguments are not a JSON object: ${call.arguments}`,
      sub,
    );
  }
  // A model asking for the same thing again and again is stuck: the guard ends the run.
  scope.guard?.beforeTool(call.name, args);
  const subAgent = offered.subAgents.get(call.name);
  if (subAgent) return await runSubAgent(subAgent, call, String(args.task ?? ""), scope, at);

  const tool: ToolDef | undefined = offered.tools.get(call.name);
  if (!tool) return reportResult(scope, call, `error: there is no tool named ${call.name}`, sub);
  const done = scope.progress.begin(tool.progressMessage?.(args) ?? `Using ${tool.name}`);
  const t0 = performance.now();
  let content: string;
  try {
    content = await tool.run(args, {
      usage: scope.deps.usage,
      ...scope.ids,
      agentName: agent.name,
      signal: scope.signal,
      // In the run's log context even when called from elsewhere (an MCP notification).
      log: (level, message, properties) =>
        withRunContext(
          { runId: scope.ids.runId, agent: agent.name },
          () =>
            getLogger("tool", tool.name)[level === "warning" ? "warn" : level](message, properties),
        ),
      progress: (message) => scope.progress.update(message),
    });
    log.info("Tool {tool} answered in {ms} ms", {
      tool: tool.name,
      ms: Math.round(performance.now() - t0),
    });
  } catch (err) {
    scope.signal.throwIfAborted();
    content = `error: ${err instanceof Error ? err.message : String(err)}`;
    log.warn("Tool {tool} failed: {error}", { tool: tool.name, error: content });
  }
  done();
  return reportResult(scope, call, content, sub);
}

function reportResult(scope: RunScope, call: RunToolCall, content: string, sub?: string): string {
  scope.emit({
    type: EventType.TOOL_CALL_RESULT,
    messageId: crypto.randomUUID(),
    toolCallId: call.eventId,
    content,
    role: "tool",
    subagentRunId: sub,
  });
  return content;
}

async function runSubAgent(
  agent: AgentDef,
  call: RunToolCall,
  task: string,
  scope: RunScope,
  at: AgentPosition,
): Promise<string> {
  scope.guard?.beforeSubagent();
  const subagentRunId = crypto.randomUUID();
  scope.progress.plan(2); // the sub-agent thinks, then answers
  scope.emit({
    type: EventType.SUBAGENT_STARTED,
    subagentRunId,
    name: agent.name,
    description: agent.title,
    parentSubagentRunId: at.subagentRunId,
    parentToolCallId: call.eventId,
  });
  scope.agentStatus(agent.name, "starting", subagentRunId, task);
  try {
    const answer = await withRunContext(
      { runId: scope.ids.runId, agent: agent.name },
      () =>
        runAgent(
          agent,
          [{ role: "system", content: agent.instructions }, { role: "user", content: task }],
          scope,
          { subagentRunId, parentSpanId: at.parentSpanId },
        ),
    );
    scope.emit({ type: EventType.SUBAGENT_FINISHED, subagentRunId, result: answer });
    scope.agentStatus(agent.name, "completed", subagentRunId);
    return reportResult(scope, call, answer, at.subagentRunId);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    scope.closeOpen({ subagentRunId });
    scope.emit({ type: EventType.SUBAGENT_ERROR, subagentRunId, message });
    scope.agentStatus(agent.name, scope.signal.aborted ? "idle" : "error", subagentRunId, message);
    scope.signal.throwIfAborted();
    log.error("Sub-agent {agent} failed: {error}", { agent: agent.name, error: message });
    return reportResult(
      scope,
      call,
      `error: the ${agent.title} failed: ${message}`,
      at.subagentRunId,
    );
  }
}
