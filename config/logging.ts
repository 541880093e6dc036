/** What each LLM call's prompt and response keep, and how long logs and contents are kept. */
import { z } from "zod";
import type { Parsed, VarBuilders } from "./vars.ts";

export type ContentLogging = { mode: "full" } | { mode: "off" } | {
  mode: "truncate";
  chars: number;
};

export interface LoggingConfig {
  contentLogging: ContentLogging;
  /** Days log records, prompts and responses are kept (0: forever). */
  retention: { logDays: number; promptDays: number; responseDays: number };
}

export function loggingVars({ env, integer }: VarBuilders) {
  const contentMessage = `GLASSBOX_LOG_CONTENT=${
    JSON.stringify(env.GLASSBOX_LOG_CONTENT)
  } must be "full", "off" or a positive character count`;
  return {
    GLASSBOX_RETENTION_DAYS: integer("GLASSBOX_RETENTION_DAYS", 0, 0, 36_500),
    GLASSBOX_RETENTION_PROMPT_DAYS: integer("GLASSBOX_RETENTION_PROMPT_DAYS", 0, 0, 36_500),
    GLASSBOX_RETENTION_RESPONSE_DAYS: integer("GLASSBOX_RETENTION_RESPONSE_DAYS", 0, 0, 36_500),
    GLASSBOX_LOG_CONTENT: z.union([
      z.enum(["full", "off"]).transform((mode) => ({ mode })),
      z.coerce.number().int().positive().transform((chars) => ({
        mode: "truncate" as const,
        chars,
      })),
    ], { errorMap: () => ({ message: contentMessage }) }).default(1000),
  };
}

export function loggingConfig(v: Parsed<typeof loggingVars>): LoggingConfig {
  return {
    contentLogging: v.GLASSBOX_LOG_CONTENT,
    retention: {
      logDays: v.GLASSBOX_RETENTION_DAYS,
      promptDays: v.GLASSBOX_RETENTION_PROMPT_DAYS,
      responseDays: v.GLASSBOX_RETENTION_RESPONSE_DAYS,
    },
  };
}
