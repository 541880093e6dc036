/**
 * The tools an agent offers the model in one step: its built-in tools, its sub-agents (as
 * `ask_<name>`), then each MCP server's current tools. Names must be unique and valid function
 * names (letters, digits, _ and -, at most 64): an MCP tool keeps its own name when it can, else
 * it becomes `<server>__<tool>`; one that still collides is left out. The calls of a step run
 * against the set that step offered, so a tool list changing meanwhile cannot confuse them.
 */
import type { ChatTool } from "../llm/types.ts";
import type { AgentDef, ToolDef } from "./types.ts";

const SUBAGENT_TOOL_PREFIX = "ask_";

export interface ToolSet {
  /** As sent to the model. */
  chat: ChatTool[];
  tools: Map<string, ToolDef>;
  subAgents: Map<string, AgentDef>;
  /** Why some servers' tools are missing (a server that never connected), for the model. */
  unavailable: string[];
}

export function toolSet(agent: AgentDef): ToolSet {
  const tools = new Map<string, ToolDef>();
  const subAgents = new Map<string, AgentDef>();
  const chat: ChatTool[] = [];
  const taken = (name: string) => tools.has(name) || subAgents.has(name);
  for (const t of agent.tools) {
    tools.set(t.name, t);
    chat.push(chatTool(t.name, t.description, t.parameters));
  }
  for (const a of agent.subAgents ?? []) {
    const name = SUBAGENT_TOOL_PREFIX + a.name;
    subAgents.set(name, a);
    chat.push(chatTool(name, a.description, {
      type: "object",
      properties: { task: { type: "string", description: `What to ask the ${a.title}` } },
      required: ["task"],
    }));
  }
  const unavailable: string[] = [];
  for (const source of agent.toolSources ?? []) {
    const listed = source.tools();
    const why = source.unavailable();
    if (listed.length === 0 && why) unavailable.push(why);
    for (const t of listed) {
      const name = [functionName(t.name), functionName(`${source.name}__${t.name}`)]
        .find((n) => !taken(n));
      if (!name) continue;
      const tool = name === t.name ? t : { ...t, name };
      tools.set(name, tool);
      chat.push(chatTool(name, tool.description, tool.parameters));
    }
  }
  return { chat, tools, subAgents, unavailable };
}

function functionName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
}

function chatTool(name: string, description: string, parameters: Record<string, unknown>) {
  return { type: "function", function: { name, description, parameters } } satisfies ChatTool;
}
