/** The environment's LLM provider (the provider "default"), the demo model, calls' limits. */
import { z } from "zod";
import type { Parsed, VarBuilders } from "./vars.ts";

export const DEMO_MODEL = "glassbox-demo";

export interface LlmConfig {
  /** null with apiKey null: the built-in offline demo model. */
  openaiBaseUrl: string | null;
  openaiApiKey: string | null;
  model: string;
  /** Delay between demo-model chunks, so a person can watch the demo run. */
  demoChunkDelayMs: number;
  /** End a stream that sends nothing for this long. */
  llmIdleTimeoutMs: number;
  llmMaxAttempts: number;
}

export function llmVars({ integer, url }: VarBuilders) {
  return {
    OPENAI_BASE_URL: url("OPENAI_BASE_URL", ["http:", "https:"]),
    OPENAI_API_KEY: z.string().optional(),
    GLASSBOX_MODEL: z.string().optional(),
    GLASSBOX_DEMO_DELAY_MS: integer("GLASSBOX_DEMO_DELAY_MS", 25, 0, 10_000),
    GLASSBOX_LLM_IDLE_TIMEOUT_MS: integer("GLASSBOX_LLM_IDLE_TIMEOUT_MS", 30_000, 10, 3_600_000),
    GLASSBOX_LLM_MAX_ATTEMPTS: integer("GLASSBOX_LLM_MAX_ATTEMPTS", 3, 1, 10),
  };
}

export function llmConfig(v: Parsed<typeof llmVars>): LlmConfig {
  const usesDemo = !v.OPENAI_BASE_URL && !v.OPENAI_API_KEY;
  return {
    openaiBaseUrl: v.OPENAI_BASE_URL ?? null,
    openaiApiKey: v.OPENAI_API_KEY ?? null,
    model: v.GLASSBOX_MODEL ?? (usesDemo ? DEMO_MODEL : "gpt-4o-mini"),
    demoChunkDelayMs: v.GLASSBOX_DEMO_DELAY_MS,
    llmIdleTimeoutMs: v.GLASSBOX_LLM_IDLE_TIMEOUT_MS,
    llmMaxAttempts: v.GLASSBOX_LLM_MAX_ATTEMPTS,
  };
}

export function usesDemoModel(config: Pick<LlmConfig, "openaiBaseUrl" | "openaiApiKey">): boolean {
  return !config.openaiBaseUrl && !config.openaiApiKey;
}
