/** POST /api/v1/chat (JSON answer) and /api/v1/chat/stream (SSE of the run's events). */
import { type Context, Hono } from "hono";
import { z } from "zod/v4";
import { encodeJsonEnvelope } from "../../agents/spine/sse.ts";
import type { StartRunInput } from "../../agents/runs/run_manager.ts";
import type { AppDeps } from "../deps.ts";
import { refusalResponse, runStartRefusal } from "../errors.ts";
import { longWait } from "../deadline.ts";
import { runOwner, viewerOf } from "../access.ts";
import { LIMITS, MessageText, storable, validJson } from "../validate.ts";
import { UUID_RE } from "../../db/uuid.ts";
import { openRunStream, sseResponse, subscriberLabel } from "../run_stream.ts";

export const ChatBody = z.object({
  message: MessageText,
  conversation_id: z.string().regex(UUID_RE, "must be a UUID").optional(),
  agent: storable(z.string().trim().min(1).max(LIMITS.agentChars)).optional(),
}).strict();

export function chatApi(deps: AppDeps): Hono {
  const app = new Hono();

  /** Starts the run, or answers the 4xx of a refused start. */
  async function start(c: Context, body: z.infer<typeof ChatBody>) {
    const input: StartRunInput = {
      message: body.message,
      conversationId: body.conversation_id,
      agent: body.agent,
      ...runOwner(viewerOf(c)),
    };
    try {
      return { handle: await deps.runs.start(input) };
    } catch (err) {
      const refusal = runStartRefusal(err);
      if (refusal) return { response: refusalResponse(c, refusal) };
      throw err;
    }
  }

  app.post("/chat", validJson(ChatBody), async (c) => {
    const started = await start(c, c.req.valid("json"));
    if (!started.handle) return started.response;
    const { runId, conversationId, agent, model, provider, demo, teamVersion } = started.handle;
    longWait(c); // the run has started: its answer takes what it takes
    const outcome = await started.handle.done;
    const r = outcome.result;
    const summary = {
      run_id: runId,
      conversation_id: conversationId,
      status: outcome.status,
      agent,
      model,
      provider,
      demo,
      team_version: teamVersion,
      usage: {
        llm_calls: r.llmCalls,
        input_tokens: r.inputTokens,
        output_tokens: r.outputTokens,
        cost_usd: r.costUsd,
      },
      duration_ms: r.durationMs,
    };
    if (outcome.status === "stopped") {
      const { kind, message, resetAt } = outcome.stop;
      return c.json({
        ...summary,
        answer: outcome.answer,
        stopped: { kind, message, reset_at: resetAt === null ? null : new Date(resetAt) },
      });
    }
    if (outcome.status === "failed") {
      return c.json({ ...summary, error: { code: "run_failed", message: outcome.error } }, 502);
    }
    return c.json({ ...summary, answer: outcome.answer });
  });

  app.post("/chat/stream", validJson(ChatBody), async (c) => {
    const started = await start(c, c.req.valid("json"));
    if (!started.handle) return started.response;
    const stream = await openRunStream(deps, started.handle.runId, encodeJsonEnvelope, 0, {
      label: subscriberLabel("sse_json", viewerOf(c).userId),
    });
    const res = sseResponse(stream);
    res.headers.set("x-run-id", started.handle.runId);
    res.headers.set("x-conversation-id", started.handle.conversationId);
    return res;
  });

  return app;
}
