import assert from "node:assert/strict";
import { decideReply, type DemoInput, extractExpression, fingerprint } from "./brain.ts";
import type { ChatMessage } from "../llm/types.ts";

const ask = (question: string, toolNames: string[], toolsAllowed = true): DemoInput => ({
  messages: [{ role: "system", content: "instructions" }, { role: "user", content: question }],
  toolNames,
  toolsAllowed,
});
const calls = (input: DemoInput) =>
  decideReply(input).toolCalls.map((c) => [c.name, JSON.parse(c.arguments)]);
const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

Deno.test("brain: finds the arithmetic in a question", () => {
  const cases: [string, string | null][] = [
    ["What is 2+2?", "2+2"],
    ["what is 17 * 23", "17 * 23"],
    ["Calculate (3 + 4) * 2, please.", "(3 + 4) * 2"],
    ["(what's 8 / 2)", "8 / 2"],
    ["sqrt(144) then", "sqrt(144)"],
    ["3 x 4", "3 * 4"],
    ["How much did gpt-4o-mini cost?", null], // a model name is not arithmetic
    ["tokens in the last 7 days", null],
    ["What time is it?", null],
  ];
  for (const [q, want] of cases) assert.equal(extractExpression(q), want, q);
});

Deno.test("brain: keyword rules pick offered tools and sensible arguments", () => {
  const utility = ["clock", "calculator"];
  assert.deepEqual(calls(ask("What's the date?", utility)), [["clock", {}]]);
  assert.deepEqual(calls(ask("What day is it in America/New_York?", utility)), [
    ["clock", { timezone: "America/New_York" }],
  ]);
  assert.deepEqual(calls(ask("what is 2+2", utility)), [["calculator", { expression: "2+2" }]]);
  assert.deepEqual(calls(ask("How much have I spent this week?", ["llm_usage"])), [
    ["llm_usage", { period: "7d", scope: "user" }],
  ]);
  assert.deepEqual(calls(ask("Token usage of this conversation", ["llm_usage"])), [
    ["llm_usage", { scope: "conversation" }],
  ]);
  assert.deepEqual(
    calls(ask("Which models did Glassbox call in the last 30 days?", ["llm_usage"])),
    [
      ["llm_usage", { period: "30d", scope: "all" }],
    ],
  );
  // The orchestrator delegates; time + arithmetic both go to the utility agent, once.
  const team = ["ask_usage_analyst", "ask_utility"];
  const q = "What time is it and what is 6*7?";
  assert.deepEqual(calls(ask(q, team)), [["ask_utility", { task: q }]]);
  assert.deepEqual(calls(ask("What is the cost so far?", team)), [
    ["ask_usage_analyst", { task: "What is the cost so far?" }],
  ]);
  // Nothing offered fits, or tools are switched off: a text answer.
  assert.deepEqual(calls(ask("What is 2+2?", ["llm_usage"])), []);
  assert.deepEqual(calls(ask("What is 2+2?", utility, false)), []);
  assert.deepEqual(calls(ask("Hello!", utility)), []);
});

Deno.test("brain: ids are deterministic per conversation", () => {
  const a = decideReply(ask("2+2 and the time?", ["clock", "calculator"]));
  const b = decideReply(ask("2+2 and the time?", ["clock", "calculator"]));
  const c = decideReply(ask("3+3 and the time?", ["clock", "calculator"]));
  assert.deepEqual(a, b);
  assert.deepEqual(a.toolCalls.map((t) => t.id.slice(-2)), ["_0", "_1"]);
  assert.notEqual(a.toolCalls[0].id, c.toolCalls[0].id);
  assert.equal(fingerprint(""), "811c9dc5");
});

Deno.test("brain: the introduction is honest, echoes the question, suggests offered tools", () => {
  const all = decideReply(ask("Who are you?", ["ask_usage_analyst", "ask_utility"])).text;
  assert.match(all, /offline demo model/);
  assert.match(all, /You asked: “Who are you\?”/);
  assert.match(all, /tokens have I used today/);
  assert.ok(words(all) >= 40 && words(all) <= 90, `${words(all)} words`);
  const none = decideReply(ask("Who are you?", [])).text;
  assert.doesNotMatch(none, /try “/);
  assert.ok(words(none) >= 40, `${words(none)} words`);
  const empty = decideReply({
    messages: [{ role: "system", content: "x" }],
    toolNames: [],
    toolsAllowed: true,
  });
  assert.match(empty.text, /You asked: “”/);
});

const USAGE_RESULT =
  "LLM usage for all of Glassbox since records began: **12 calls**, 3,400 input + " +
  "800 output tokens, $0.0012 (cost unknown for 2 calls). Failures: 1 error, 0 timeouts, 0 " +
  "cancelled. Median latency 850 ms; median time to first token 300 ms.\n\nBy model:\n- gpt-4o-mini: …";

function afterTools(results: [name: string, content: string][]): ChatMessage[] {
  return [
    { role: "user", content: "question" },
    {
      role: "assistant",
      content: null,
      tool_calls: results.map(([name], i) => ({
        id: `t${i}`,
        type: "function" as const,
        function: { name, arguments: "{}" },
      })),
    },
    ...results.map(([, content], i): ChatMessage => ({
      role: "tool",
      tool_call_id: `t${i}`,
      content,
    })),
  ];
}

Deno.test("brain: tool results become a 40–90 word answer; sub-agent answers nest cleanly", () => {
  const compose = (results: [string, string][]) =>
    decideReply({ messages: afterTools(results), toolNames: [], toolsAllowed: true }).text;
  const usage = compose([["llm_usage", USAGE_RESULT]]);
  assert.match(usage, /^Here is what the \*\*LLM usage\*\* tool reported:\n\n> LLM usage for all/);
  assert.doesNotMatch(usage, /By model/); // only the summary paragraph is quoted
  const calc = compose([["calculator", "2+2 = 4"]]);
  const both = compose([["clock", "It is Tuesday, 17 November 2026, 13:03:12 in UTC (GMT)."], [
    "calculator",
    "6*7 = 42",
  ]]);
  for (const text of [usage, calc, both]) {
    assert.ok(words(text) >= 40 && words(text) <= 90, `${words(text)} words: ${text}`);
  }
  // The orchestrator quotes the sub-agent's substance, not its demo boilerplate.
  const nested = compose([["ask_usage_analyst", usage], ["ask_utility", both]]);
  assert.match(nested, /- \*\*Usage analyst\*\*: LLM usage for all of Glassbox/);
  assert.match(
    nested,
    /- \*\*Utility\*\*: \*\*Clock\*\*: It is Tuesday.* \*\*Calculator\*\*: 6\*7 = 42/,
  );
  assert.equal(nested.match(/Offline demo model/g)?.length, 1);
  assert.equal(nested.match(/Here is what/g)?.length, 1);
  // A tool error is reported, not hidden.
  assert.match(compose([["clock", "Error: unknown time zone"]]), /> Error: unknown time zone/);
});
