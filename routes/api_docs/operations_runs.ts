/**
 * The API routes that chat, run agents and read the history: runs, LLM calls, conversations,
 * usage.
 */
import type { z } from "zod/v4";
import { AguiInput } from "../api/agui.ts";
import { ChatBody } from "../api/chat.ts";
import { ConversationsQuery } from "../api/conversations.ts";
import { LlmCallsQuery } from "../api/llm_calls.ts";
import { UsageQuery } from "../api/usage.ts";
import { LAST_EVENT_ID, type Operation, SSE_DESCRIPTION } from "./operation.ts";
import * as R from "./responses.ts";

/** AG-UI's RunAgentInput, made strict (zod/v4 too; its type is @ag-ui/core's zod instance). */
export const RunAgentInput = AguiInput as unknown as z.ZodType;

export const RUN_OPERATIONS: Record<string, Operation> = {
  "POST /api/v1/chat": {
    summary: "Ask a question and wait for the answer",
    description: "Starts a run of an entry agent (the caller owns it) and answers when it ends. " +
      "A failed run is a 502 with the same summary and `error`.",
    tag: "Chat",
    access: { scope: "chat" },
    body: ChatBody,
    ok: { json: R.ChatAnswer, description: "the run's answer, status and usage" },
    errors: [404, 409, 429, 502],
  },
  "POST /api/v1/chat/stream": {
    summary: "Ask a question and stream the run's events",
    description: "Headers `x-run-id` and `x-conversation-id` name the run.",
    tag: "Chat",
    access: { scope: "chat" },
    body: ChatBody,
    ok: { sse: SSE_DESCRIPTION },
    errors: [404, 409, 429],
  },
  "POST /api/v1/agui": {
    summary: "AG-UI: run an agent from a RunAgentInput",
    description: "The AG-UI protocol (works with @ag-ui/client's HttpAgent): streams pure AG-UI " +
      "events. The thread is the caller's conversation; forwardedProps cannot name a user.",
    tag: "Chat",
    access: { scope: "chat" },
    body: RunAgentInput,
    ok: { sse: "`text/event-stream` of AG-UI events (JSON data)." },
    errors: [404, 409, 429],
  },
  "GET /api/v1/runs/:id": {
    summary: "A run: status, timing, usage and cost",
    tag: "Runs",
    access: { scope: "read" },
    ok: { json: R.RunInfo, description: "the run" },
    errors: [404],
  },
  "GET /api/v1/runs/:id/events": {
    summary: "A run's events: stored ones, then live ones, until its terminal event",
    tag: "Runs",
    access: { scope: "read" },
    ok: { sse: SSE_DESCRIPTION },
    headers: LAST_EVENT_ID,
    errors: [400, 404],
  },
  "POST /api/v1/runs/:id/cancel": {
    summary: "Stop a run and its in-flight LLM call",
    description: "A gateway session's run too: its calls in flight are aborted (recorded " +
      "cancelled), the run ends cancelled, and the session's next calls get 409 session_stopped.",
    tag: "Runs",
    access: { scope: "chat" },
    ok: { json: R.CancelResult, description: "the run's final status" },
    errors: [404, 409],
  },
  "GET /api/v1/llm-calls": {
    summary: "Recorded LLM calls, newest first",
    description: "Filters combine; an admin's list covers everyone (user_id narrows it).",
    tag: "History",
    access: { scope: "read" },
    query: LlmCallsQuery,
    ok: { json: R.LlmCallPage, description: "one page of calls" },
  },
  "GET /api/v1/conversations": {
    summary: "Conversations, most recent first",
    tag: "History",
    access: { scope: "read" },
    query: ConversationsQuery,
    ok: { json: R.ConversationList, description: "the conversations" },
  },
  "GET /api/v1/conversations/:id/messages": {
    summary: "A conversation's messages",
    tag: "History",
    access: { scope: "read" },
    ok: { json: R.ConversationMessages, description: "the conversation and its messages" },
    errors: [404],
  },
  "GET /api/v1/usage": {
    summary: "Cost and token analytics: totals, by model, by agent",
    tag: "History",
    access: { scope: "read" },
    query: UsageQuery,
    ok: { json: R.UsageReport, description: "the report" },
  },
};
