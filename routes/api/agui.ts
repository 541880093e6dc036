/**
 * POST /api/v1/agui — the AG-UI protocol: takes a RunAgentInput, streams AG-UI events (SSE with
 * JSON data), so an AG-UI client such as @ag-ui/client's HttpAgent can drive Glassbox.
 * The thread is a Glassbox conversation of the caller (created on first use; another user's
 * thread is not found); the run id is the client's when it is a fresh UUID. Ids we had to replace
 * are written back into the run's start/finish events. The user comes from the session or key,
 * never from forwardedProps.
 */
import { Hono } from "hono";
import type { Message, RunAgentInput } from "@ag-ui/core";
import { RunAgentInputSchema } from "@ag-ui/core/schemas";
import { EventType, type RunEvent } from "../../agents/spine/events.ts";
import { encodeJsonEvent } from "../../agents/spine/sse.ts";
import type { ChatMessage } from "../../agents/llm/types.ts";
import type { AppDeps } from "../deps.ts";
import { apiError, refusalResponse, runStartRefusal } from "../errors.ts";
import { runOwner, viewerOf } from "../access.ts";
import { z } from "zod/v4";
import { LIMITS, unstorable, validJson } from "../validate.ts";
import { UUID_RE } from "../../db/uuid.ts";
import { openRunStream, sseResponse, subscriberLabel } from "../run_stream.ts";

/** Text of a message's content (a string, or the text parts of a multimodal list). */
function textOf(m: Message): string {
  const content = (m as { content?: unknown }).content;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((p) => (p && p.type === "text" ? String(p.text) : "")).join("");
  }
  return "";
}

/**
 * A conversation id for any thread id: the thread id itself when it is a UUID, else a name-based
 * UUID of the user and the thread (two users' threads called "main" are two conversations).
 */
async function conversationIdFor(userId: string, threadId: string): Promise<string> {
  if (UUID_RE.test(threadId)) return threadId.toLowerCase();
  const name = new TextEncoder().encode(`agui-thread:${userId}:${threadId}`);
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", name));
  hash[6] = (hash[6] & 0x0f) | 0x50; // a name-based (v5-style) UUID
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = [...hash.slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20, 32)
  }`;
}

/** Encodes pure AG-UI events, with the client's own thread and run ids on start and finish. */
function aguiEncoder(input: RunAgentInput) {
  return (ev: RunEvent): Uint8Array => {
    const e = ev.event;
    if (e.type === EventType.RUN_STARTED || e.type === EventType.RUN_FINISHED) {
      return encodeJsonEvent({
        ...ev,
        event: { ...e, threadId: input.threadId, runId: input.runId },
      });
    }
    return encodeJsonEvent(ev);
  };
}

/**
 * AG-UI's RunAgentInput with no unknown top-level fields and the limits of every other way in:
 * ids of at most 200 characters, messages of at most 32,000, an agent name of at most 100, and
 * only text the database can store.
 */
export const AguiInput = RunAgentInputSchema.strict().superRefine((input, ctx) => {
  const problem = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
  const limited = (path: (string | number)[], text: string, max: number) => {
    if (text.length > max) problem(path, `must be at most ${max} characters`);
    const why = unstorable(text);
    if (why) problem(path, why);
  };
  limited(["threadId"], input.threadId, LIMITS.idChars);
  limited(["runId"], input.runId, LIMITS.idChars);
  input.messages.forEach((m, i) =>
    limited(["messages", i, "content"], textOf(m as Message), LIMITS.messageChars)
  );
  const agent = (input.forwardedProps as Record<string, unknown> | undefined)?.agent;
  if (typeof agent === "string") limited(["forwardedProps", "agent"], agent, LIMITS.agentChars);
});

export function aguiApi(deps: AppDeps): Hono {
  const app = new Hono();
  app.post("/agui", validJson<RunAgentInput>(AguiInput), async (c) => {
    const input = c.req.valid("json");
    const lastUser = [...input.messages].reverse().find((m) => m.role === "user");
    const message = lastUser ? textOf(lastUser).trim() : "";
    if (!message) return apiError(c, 400, "invalid_body", "messages: no user message with text");
    const earlier = input.messages.slice(0, input.messages.lastIndexOf(lastUser!));
    const history = earlier
      .filter((m) => m.role === "user" || m.role === "assistant")
      .map((m): ChatMessage => ({ role: m.role as "user" | "assistant", content: textOf(m) }))
      .filter((m) => m.content);
    const forwarded = (input.forwardedProps ?? {}) as Record<string, unknown>;
    const owner = runOwner(viewerOf(c));
    try {
      const handle = await deps.runs.start({
        message,
        conversationId: await conversationIdFor(owner.userId, input.threadId),
        createConversation: true,
        history,
        runId: UUID_RE.test(input.runId) ? input.runId.toLowerCase() : undefined,
        agent: typeof forwarded.agent === "string" ? forwarded.agent : undefined,
        ...owner,
      });
      return sseResponse(
        await openRunStream(deps, handle.runId, aguiEncoder(input), 0, {
          label: subscriberLabel("agui", viewerOf(c).userId),
        }),
      );
    } catch (err) {
      const refusal = runStartRefusal(err);
      if (refusal) return refusalResponse(c, refusal);
      throw err;
    }
  });
  return app;
}
