/**
 * The team file's schema (zod): providers, MCP servers and agents, each a map keyed by its name
 * (so a repeated name is a YAML error, not a silent overwrite), and the entry agents offered to
 * users. Every object is strict: an unknown key is an error. Agents are a union on `kind`
 * (default `llm`), so other kinds of agent can join later. What needs the whole file (references
 * between names, cycles, transport rules) is checked by checks.ts on the raw value.
 */
import { z } from "zod";
import { BUILTIN_TOOL_NAMES } from "./builtin_tools.ts";
import { ONLY_REF } from "./env_refs.ts";
import { CACHE_ACCOUNTING } from "../llm/cost.ts";

/** Text that Postgres can store and prompts can carry: no NUL, no unpaired surrogate. */
const storable = (s: z.ZodString) =>
  s.refine(
    (v) => !v.includes("\u0000") && v.isWellFormed(),
    "contains a NUL character or an unpaired surrogate",
  );
const text = (max = 2_000) => storable(z.string().min(1, "must not be empty").max(max));

/** Agents become `ask_<name>` tools of their parents, so names are function-name safe. */
export const AGENT_NAME = /^[a-z][a-z0-9_]{0,39}$/;
/** Providers and MCP servers (`glassbox-demo` has a hyphen). */
export const NAME = /^[a-z][a-z0-9_-]{0,39}$/;
const agentName = z.string().regex(
  AGENT_NAME,
  "must be snake_case: lowercase letters, digits and _, starting with a letter, at most 40",
);
const name = z.string().regex(
  NAME,
  "must be lowercase letters, digits, - or _, starting with a letter, at most 40",
);

/** USD per million tokens. */
const usd = z.number().nonnegative().finite();
const Price = z.object({
  input: usd,
  output: usd,
  /** Input tokens read from the provider's prompt cache; priced as input when absent. */
  cached_input: usd.optional(),
  /** Input tokens written to the prompt cache (Anthropic-style); priced as input when absent. */
  cache_write: usd.optional(),
  /** Hidden reasoning tokens (part of the output); priced as output when absent. */
  reasoning: usd.optional(),
}).strict();

const Provider = z.object({
  /** Any OpenAI-compatible endpoint; `${NAME}` / `${NAME:-default}` references allowed. */
  base_url: text(),
  /** Exactly one `${NAME}` reference: the key itself never belongs in the file. */
  api_key: z.string().regex(
    ONLY_REF,
    "must be a reference to an environment variable, like ${OPENAI_API_KEY}; " +
      "the key itself does not belong in the file",
  ).optional(),
  /** By model name as sent to the provider. */
  prices: z.record(text(200), Price).default({}),
  /**
   * How its usage reports cached prompt tokens: within prompt_tokens (OpenAI, the default) or
   * in addition to it (Anthropic-style endpoints and proxies).
   */
  cached_tokens: z.enum(CACHE_ACCOUNTING).default("part_of_input"),
}).strict();

const McpServer = z.object({
  // stdio: a command Glassbox starts
  command: text().optional(),
  args: z.array(z.string()).max(200).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "is not a variable name"), z.string())
    .optional(),
  cwd: text().optional(),
  // Streamable HTTP
  url: text().optional(),
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, "is not a header name"), z.string())
    .optional(),
  /** Per tool call. */
  timeout_ms: z.number().int().min(100).max(3_600_000).default(60_000),
  /** Send the caller (user, conversation, run, agent) in each call's `_meta`. */
  identity: z.boolean().default(false),
}).strict();

const McpUse = z.union([
  name,
  z.object({ server: name, tools: z.array(text(200)).min(1) }).strict(),
]);

const LlmAgent = z.object({
  kind: z.literal("llm"),
  title: text(80).optional(),
  description: text(4_000),
  instructions: text(200_000),
  /** `provider/model`; absent: the environment's model (see agents/llm/providers.ts). */
  model: storable(z.string().max(200).regex(/^[a-z][a-z0-9_-]*\/\S/, "must be provider/model"))
    .optional(),
  temperature: z.number().min(0).max(2).optional(),
  max_steps: z.number().int().min(1).max(50).default(6),
  tools: z.array(z.enum(BUILTIN_TOOL_NAMES)).default([]),
  mcp: z.array(McpUse).default([]),
  sub_agents: z.array(agentName).default([]),
  /** Progress message per tool name; `{arg}` is replaced by that argument. */
  progress: z.record(text(200), text(200)).default({}),
}).strict();

/** `kind` may be left out: it is an LLM agent. */
const Agent = z.preprocess(
  (v) =>
    v !== null && typeof v === "object" && !Array.isArray(v) && !("kind" in v)
      ? { kind: "llm", ...v }
      : v,
  z.discriminatedUnion("kind", [LlmAgent]),
);

export const TeamFile = z.object({
  providers: z.record(name, Provider).default({}),
  mcp_servers: z.record(name, McpServer).default({}),
  agents: z.record(agentName, Agent).refine((a) => Object.keys(a).length > 0, {
    message: "needs at least one agent",
  }),
  /** The agents users can pick, the first being the default; absent: the first agent. */
  entry: z.array(agentName).min(1).optional(),
}).strict();

export type TeamFileData = z.output<typeof TeamFile>;
export type AgentData = TeamFileData["agents"][string];
export type McpServerData = TeamFileData["mcp_servers"][string];
