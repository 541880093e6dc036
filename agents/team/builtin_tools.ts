/** The tools built into Glassbox, by the name a team file gives them in an agent's `tools`. */
import type { ToolDef } from "../runtime/types.ts";
import { calculatorTool } from "./tools/calculator.ts";
import { clockTool } from "./tools/clock.ts";
import { llmUsageTool } from "./tools/llm_usage.ts";

export const BUILTIN_TOOL_NAMES = ["clock", "calculator", "llm_usage"] as const;
export type BuiltinToolName = typeof BUILTIN_TOOL_NAMES[number];

export const BUILTIN_TOOLS: Record<BuiltinToolName, ToolDef> = {
  clock: clockTool,
  calculator: calculatorTool,
  llm_usage: llmUsageTool,
};
