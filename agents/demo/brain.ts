/**
 * What the offline demo model says. Pure and deterministic (same messages and tools → same
 * reply), so tests and the UI can rely on it: keyword rules pick tool calls from the tools the
 * request offers; tool results are stitched into an answer; anything else gets an honest
 * "I'm the demo model" answer that echoes the question and explains how to connect a real model.
 */
import type OpenAI from "openai";
import type { ChatMessage } from "../llm/types.ts";
import { truncate } from "../spine/text.ts";

export interface DemoToolCall {
  id: string;
  name: string;
  /** JSON text of the arguments object. */
  arguments: string;
}

/** Exactly one of the two is non-empty. */
export interface DemoReply {
  text: string;
  toolCalls: DemoToolCall[];
}

export interface DemoInput {
  messages: ChatMessage[];
  /** Names of the tools the request offers; the demo never calls any other. */
  toolNames: string[];
  /** false for tool_choice "none". */
  toolsAllowed: boolean;
}

type IntentKind = "usage" | "clock" | "calc";
interface Intent {
  kind: IntentKind;
  /** A direct tool for the intent (exact name first, then a name containing the stem). */
  direct: string;
  stem: RegExp;
  /** An `ask_<agent>` tool whose name matches is the fallback (a sub-agent that can do it). */
  delegate: RegExp;
  asked(question: string): boolean;
  args(question: string): Record<string, unknown> | null;
}

const INTENTS: Intent[] = [
  {
    kind: "usage",
    direct: "llm_usage",
    stem: /usage|spend/,
    delegate: /usage|cost|spend/,
    asked: (q) =>
      /\b(usage|costs?|tokens?|spent|spend(ing)?|calls?|models?|llm|bill(ing)?|pric(e|es|ing))\b/i
        .test(q),
    args: usageArgs,
  },
  {
    kind: "clock",
    direct: "clock",
    stem: /clock|time/,
    delegate: /utility|clock|time/,
    asked: (q) => /\b(time|date|day|clock|time ?zone|weekday)\b|\bwhat year\b/i.test(q),
    args: (q) => {
      const zone = /\b(UTC|GMT|[A-Z][a-z]+\/[A-Z][A-Za-z_]+(?:\/[A-Z][A-Za-z_]+)?)\b/.exec(q);
      return zone ? { timezone: zone[1] } : {};
    },
  },
  {
    kind: "calc",
    direct: "calculator",
    stem: /calc|math/,
    delegate: /utility|calc|math/,
    asked: (q) => extractExpression(q) !== null,
    args: (q) => {
      const expression = extractExpression(q);
      return expression ? { expression } : null;
    },
  },
];

function usageArgs(q: string): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  if (/\btoday\b/i.test(q)) args.period = "today";
  else if (/\b(this|last|past) week\b|\b7 ?d(ays)?\b/i.test(q)) args.period = "7d";
  else if (/\b(this|last|past) month\b|\b30 ?d(ays)?\b/i.test(q)) args.period = "30d";
  else if (/\b(all[- ]time|ever)\b/i.test(q)) args.period = "all";
  if (/\b(this|current) (conversation|chat)\b/i.test(q)) args.scope = "conversation";
  else if (/\b(everyone|all users|overall|in total|glassbox)\b/i.test(q)) args.scope = "all";
  else if (/\b(I|my|me|mine|I've)\b/i.test(q)) args.scope = "user";
  return args;
}

/** The longest arithmetic-looking run in the text ("what is 17 * 23?" → "17 * 23"), or null. */
export function extractExpression(text: string): string | null {
  const normalized = text.replace(/(\d)\s*[x×]\s*(?=[\d(])/gi, "$1 * ");
  const runs = normalized.match(/(?:\b(?:sqrt|abs|round|min|max|pi)\b|[\d.+\-*/%^()×÷,\s])+/gi) ??
    [];
  let best: string | null = null;
  for (const run of runs) {
    let e = run.replace(/^[\s,.]+|[\s,.]+$/g, "");
    // Drop parentheses that belong to the prose around the expression.
    while (e.endsWith(")") && count(e, ")") > count(e, "(")) e = e.slice(0, -1).trim();
    while (e.startsWith("(") && count(e, "(") > count(e, ")")) e = e.slice(1).trim();
    const binary = /[\d)]\s*[+\-*/%^×÷]\s*[\d(.a-z-]/i.test(e);
    const fn = /\b(sqrt|abs|round|min|max)\s*\(/i.test(e);
    if (/\d/.test(e) && (binary || fn) && (!best || e.length > best.length)) best = e;
  }
  return best;
}
const count = (s: string, ch: string) => s.split(ch).length - 1;

/** Text of a message's content, whether a string or an array of parts. */
export function messageText(m: ChatMessage): string {
  const c = (m as { content?: unknown }).content;
  if (typeof c === "string") return c;
  if (!Array.isArray(c)) return "";
  return c.map((p) => (p && typeof p.text === "string" ? p.text : "")).join("");
}

/** FNV-1a: a stable short fingerprint for deterministic ids. */
export function fingerprint(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

export function decideReply(input: DemoInput): DemoReply {
  const { messages } = input;
  if (messages.at(-1)?.role === "tool") return { text: composeToolAnswer(messages), toolCalls: [] };
  const lastUser = messages.findLast((m) => m.role === "user");
  const question = lastUser ? messageText(lastUser) : "";
  const calls = input.toolsAllowed ? chooseToolCalls(question, input.toolNames) : [];
  if (calls.length === 0) return { text: demoIntroduction(question, input), toolCalls: [] };
  const prefix = `call_${fingerprint(JSON.stringify(messages) + input.toolNames.join(","))}`;
  return {
    text: "",
    toolCalls: calls.map((c, i) => ({ id: `${prefix}_${i}`, ...c })),
  };
}

function toolFor(intent: Intent, offered: string[]): string | undefined {
  const direct = offered.filter((n) => !n.startsWith("ask_"));
  return direct.find((n) => n === intent.direct) ?? direct.find((n) => intent.stem.test(n)) ??
    offered.find((n) => n.startsWith("ask_") && intent.delegate.test(n));
}

function chooseToolCalls(question: string, offered: string[]) {
  const calls: { name: string; arguments: string }[] = [];
  for (const intent of INTENTS) {
    if (!intent.asked(question)) continue;
    const name = toolFor(intent, offered);
    // One call per tool: "time and 2+2" asks the utility agent once, with the whole question.
    if (!name || calls.some((c) => c.name === name)) continue;
    const args = name.startsWith("ask_") ? { task: question } : intent.args(question);
    if (args) calls.push({ name, arguments: JSON.stringify(args) });
  }
  return calls;
}

const LABELS: Record<string, string> = {
  clock: "Clock",
  calculator: "Calculator",
  llm_usage: "LLM usage",
};
function label(toolName: string): string {
  const words = (LABELS[toolName] ?? toolName.replace(/^ask_/, "")).replace(/_/g, " ");
  return words[0].toUpperCase() + words.slice(1);
}

/** The substance of a tool result: its first paragraph that is not demo boilerplate. */
function excerpt(content: string, maxWords = 60): string {
  const paragraph = content.split(/\n\s*\n/)
    .map((p) => p.replace(/^\s*(?:[-*>]\s+)/gm, "").replace(/\s+/g, " ").trim())
    .find((p) => p && !p.startsWith(INTRO_MARK) && !p.startsWith(CLOSING_MARK));
  if (!paragraph) return "(no output)";
  const words = paragraph.split(" ");
  return words.length <= maxWords ? paragraph : `${words.slice(0, maxWords).join(" ")} …`;
}

const INTRO_MARK = "Here is what";
const CLOSING_MARK = "_Offline demo model";
const ENV_VARS = "`OPENAI_BASE_URL`, `OPENAI_API_KEY` and `GLASSBOX_MODEL`";

const isAssistant = (m: ChatMessage): m is OpenAI.Chat.ChatCompletionAssistantMessageParam =>
  m.role === "assistant";

function composeToolAnswer(messages: ChatMessage[]): string {
  const results: { name: string; content: string }[] = [];
  for (let i = messages.length - 1; i >= 0 && messages[i].role === "tool"; i--) {
    const m = messages[i] as { tool_call_id: string };
    const call = messages.slice(0, i).findLast(isAssistant)?.tool_calls
      ?.find((c) => c.id === m.tool_call_id);
    const name = call && "function" in call ? call.function.name : "tool";
    results.unshift({ name, content: messageText(messages[i]) });
  }
  if (results.length === 1) {
    const [r] = results;
    const kind = r.name.startsWith("ask_") ? "agent" : "tool";
    return `${INTRO_MARK} the **${label(r.name)}** ${kind} reported:\n\n> ${excerpt(r.content)}` +
      `\n\n${CLOSING_MARK}: I stitch tool results together without real reasoning. ` +
      `Set ${ENV_VARS} to let a real model answer; every call stays recorded in the trace._`;
  }
  const list = results.map((r) => `- **${label(r.name)}**: ${excerpt(r.content, 45)}`);
  return `${INTRO_MARK} I found, using ${results.length} tools at once:\n\n${list.join("\n")}` +
    `\n\n${CLOSING_MARK}: I only stitch tool results together. Connect a real model with ` +
    `${ENV_VARS}._`;
}

const EXAMPLES: Record<IntentKind, string> = {
  clock: "“What time is it in Asia/Tokyo?”",
  calc: "“What is 17 * 23?”",
  usage: "“How many tokens have I used today?”",
};
/** Characters of the question echoed before "…". */
const MAX_ECHO = 300;

function demoIntroduction(question: string, input: DemoInput): string {
  const echo = truncate(question, MAX_ECHO + 1);
  const doable = input.toolsAllowed
    ? INTENTS.filter((i) => toolFor(i, input.toolNames)).map((i) => EXAMPLES[i.kind])
    : [];
  const tryThis = doable.length
    ? `Meanwhile I can show tools at work: try ${doable.join(" or ")}`
    : "Until then I can only describe myself, but every call is still recorded.";
  return `I'm **Glassbox's offline demo model**: no real LLM is connected, so I answer with ` +
    `simple keyword rules.\n\nYou asked: “${echo}”\n\nTo connect a real model, set:\n` +
    "- `OPENAI_BASE_URL`: any OpenAI-compatible endpoint, e.g. `http://localhost:11434/v1` " +
    "for Ollama\n- `OPENAI_API_KEY`: its key\n- `GLASSBOX_MODEL`: the model name, e.g. " +
    `\`gpt-4o-mini\`\n\n${tryThis}`;
}
