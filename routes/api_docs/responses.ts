/**
 * What the JSON APIs answer, as zod schemas: the responses of the OpenAPI document
 * (openapi.ts). The handlers build plain objects; tests/openapi_test.ts parses real answers with
 * these schemas, so the document cannot drift from what is sent. Objects are loose: a field added
 * later is not a breaking change.
 */
import { z } from "zod/v4";
import { LLM_CALL_STATUSES } from "../../agents/spine/events.ts";

const id = z.guid();
const time = z.string().datetime({ offset: true }).meta({ description: "ISO 8601" });

export const ApiError = z.object({
  error: z.object({
    code: z.string().meta({ description: "machine-readable, e.g. invalid_body, not_found" }),
    message: z.string(),
  }),
}).meta({ description: "Every 4xx/5xx of the API." });

const RunStatus = z.enum(["running", "succeeded", "failed", "cancelled", "interrupted"]);
const ChatUsage = z.object({
  llm_calls: z.int(),
  input_tokens: z.int().nullable(),
  output_tokens: z.int().nullable(),
  cost_usd: z.number().nullable().meta({ description: "null when a call's price is unknown" }),
});

export const ChatAnswer = z.looseObject({
  run_id: id,
  conversation_id: id,
  status: RunStatus,
  agent: z.string(),
  model: z.string(),
  provider: z.string(),
  demo: z.boolean(),
  team_version: z.string().nullable(),
  usage: ChatUsage,
  duration_ms: z.number(),
  answer: z.string().optional().meta({ description: "unless the run failed" }),
  error: ApiError.shape.error.optional().meta({ description: "when the run failed (502)" }),
});

export const RunInfo = z.looseObject({
  id,
  conversation_id: id,
  user_id: id,
  agent: z.string().nullable(),
  status: RunStatus,
  error: z.string().nullable(),
  started_at: time,
  ended_at: time.nullable(),
  usage: ChatUsage.extend({ failed_calls: z.int() }),
  links: z.object({ events: z.string(), llm_calls: z.string() }),
});

export const CancelResult = z.object({ run_id: id, status: RunStatus });

const LlmCall = z.looseObject({
  id,
  runId: id.nullable(),
  conversationId: id.nullable(),
  userId: id,
  agentName: z.string().nullable(),
  provider: z.string(),
  requestModel: z.string(),
  responseModel: z.string().nullable(),
  attempt: z.int(),
  inputTokens: z.int().nullable(),
  outputTokens: z.int().nullable(),
  costUsd: z.number().nullable(),
  startedAt: time,
  endedAt: time,
  durationMs: z.number(),
  status: z.enum(LLM_CALL_STATUSES),
  errorMessage: z.string().nullable(),
});
export const LlmCallPage = z.object({
  items: z.array(LlmCall),
  next_cursor: z.string().nullable().meta({ description: "pass as cursor for the next page" }),
});

const Conversation = z.looseObject({
  id,
  title: z.string(),
  userId: id,
  messageCount: z.int(),
  preview: z.string(),
  updatedAt: time,
});
export const ConversationList = z.object({ items: z.array(Conversation) });
export const ConversationMessages = z.object({
  conversation: Conversation,
  messages: z.array(z.looseObject({
    id,
    runId: id.nullable(),
    role: z.enum(["user", "assistant"]),
    content: z.string(),
    createdAt: time,
  })),
});

const UsageGroup = z.looseObject({
  calls: z.int(),
  inputTokens: z.int(),
  outputTokens: z.int(),
  callsWithoutTokens: z.int(),
  costUsd: z.number().nullable(),
  callsWithoutCost: z.int(),
});
export const UsageReport = z.object({
  period: z.string(),
  totals: UsageGroup.extend({
    errors: z.int(),
    timeouts: z.int(),
    cancelled: z.int(),
    p50LatencyMs: z.number().nullable(),
    p50TtftMs: z.number().nullable(),
  }),
  byModel: z.array(UsageGroup.extend({ model: z.string() })),
  byAgent: z.array(UsageGroup.extend({ agent: z.string() })),
});

export const TeamOverview = z.looseObject({
  team: z.looseObject({ version: z.string().nullable(), entry: z.array(z.string()) }),
  agents: z.array(z.looseObject({ name: z.string(), model: z.string(), provider: z.string() })),
  providers: z.array(z.looseObject({ name: z.string(), base_url: z.string(), demo: z.boolean() })),
  mcp_servers: z.array(z.looseObject({ name: z.string(), state: z.string() })),
});

export const Health = z.looseObject({
  status: z.enum(["ok", "degraded", "down"]),
  version: z.string(),
  database: z.looseObject({ ok: z.boolean(), kind: z.enum(["embedded", "postgres"]) }),
  runs: z.object({ active: z.int() }),
});

/** One event of a run as the SSE and WebSocket streams carry it. */
export const EventEnvelope = z.object({
  id: z.int().meta({ description: "global event id: the SSE id, resume after it" }),
  runId: id,
  seq: z.int().meta({ description: "1, 2, 3… gap-free within the run" }),
  createdAt: z.int().meta({ description: "ms since the epoch" }),
  event: z.looseObject({ type: z.string() }).meta({ description: "an AG-UI event" }),
});

export const LogPage = z.object({
  items: z.array(z.looseObject({
    id: z.int(),
    at: time,
    kind: z.enum(["run", "http"]),
    level: z.string(),
    user_id: id.nullable(),
    run_id: id.nullable(),
    conversation_id: id.nullable(),
    agent: z.string().nullable(),
    category: z.string(),
    message: z.string(),
    properties: z.record(z.string(), z.unknown()),
    request_id: z.string().nullable(),
  })),
  next_cursor: z.string().nullable(),
});

export const LogsCleared = z.looseObject({ deleted: z.int() });

const TransportCounts = z.looseObject({
  sse_json: z.int(),
  sse_html: z.int(),
  websocket: z.int(),
  agui: z.int(),
  total: z.int(),
}).meta({ description: "subscribers by transport: JSON SSE, htmx HTML SSE, WebSocket, AG-UI" });

export const Sessions = z.looseObject({
  at: time,
  transports: z.array(z.string()),
  runs: z.array(z.looseObject({
    run_id: id,
    conversation_id: id.nullable(),
    user_id: id.nullable(),
    user: z.string().nullable().meta({ description: "the owner's email (or name)" }),
    agent: z.string().nullable(),
    started_at: time,
    status: z.enum(["running", "ending"]),
    progress: z.looseObject({
      percent: z.number(),
      step: z.int(),
      total_steps: z.int(),
      message: z.string(),
    }).nullable(),
    subscribers: TransportCounts,
  })).meta({ description: "runs active in this process, oldest first" }),
  users: z.array(z.looseObject({
    user_id: id,
    user: z.string().nullable(),
    runs: TransportCounts.meta({ description: "run streams this user follows" }),
    logs: TransportCounts.meta({ description: "log tails this user follows" }),
  })),
  totals: TransportCounts,
});

export const BudgetsOverview = z.looseObject({
  budgets: z.array(z.looseObject({})),
  unpriced: z.string(),
  crossings: z.array(z.looseObject({})),
});
export const BudgetSaved = z.looseObject({ budget: z.looseObject({}).nullable() });

export const AlertRule = z.looseObject({
  id: z.string(),
  name: z.string(),
  kind: z.enum(["cost", "error_rate", "latency", "budget"]),
  condition: z.string(),
  webhook: z.string().meta({ description: "the webhook's origin only" }),
  enabled: z.boolean(),
  state: z.enum(["ok", "firing"]),
});
export const AlertRules = z.object({ rules: z.array(AlertRule) });
export const AlertRuleOne = z.object({ rule: AlertRule });
export const AlertRuleCreated = z.object({
  rule: AlertRule,
  secret: z.string().meta({ description: "whsec_…: verify webhook-signature with it" }),
});
export const AlertTestQueued = z.object({ delivery_id: z.string() });
export const AlertDeliveries = z.object({
  deliveries: z.array(z.looseObject({
    id: z.string(),
    rule_id: z.string(),
    event: z.string(),
    status: z.enum(["pending", "delivered", "failed"]),
    attempts: z.number(),
  })),
});
