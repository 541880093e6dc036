import assert from "node:assert/strict";
import { callCostUsd, formatUsd } from "./cost.ts";
import { tokenUsage } from "./stream.ts";
import { formatCost } from "../../views/common/format.ts";
import { costPhrase } from "../team/tools/llm_usage.ts";

Deno.test("formatUsd: cents from $1, four decimals from 1¢, two significant digits below", () => {
  const cases: [number, string][] = [
    [0, "$0.00"],
    [12.345, "$12.35"],
    [1, "$1.00"],
    [0.0123, "$0.0123"],
    [0.0042, "$0.004200"],
    [0.0001, "$0.000100"],
    [0.00003, "$0.000030"],
    [0.0000012, "$0.0000012"],
    [0.00000012, "$0.00000012"],
  ];
  for (const [usd, text] of cases) assert.equal(formatUsd(usd), text, String(usd));
});

Deno.test("one cost, one spelling: the panels and the usage tool's answer agree", () => {
  const group = {
    calls: 3,
    inputTokens: 1,
    outputTokens: 1,
    callsWithoutTokens: 0,
    callsWithoutCost: 0,
    unpricedTokens: 0,
  };
  for (const usd of [0, 0.0001, 0.0042, 0.5, 3.2]) {
    assert.equal(formatCost(usd), formatUsd(usd));
    assert.equal(costPhrase({ ...group, costUsd: usd }), formatUsd(usd));
  }
  assert.equal(formatCost(null), "unknown");
  assert.equal(costPhrase({ ...group, costUsd: null }), "cost unknown");
});

Deno.test("callCostUsd: cached input and reasoning tokens at their own prices, else input/output", () => {
  const usage = {
    inputTokens: 1000,
    outputTokens: 500,
    cachedTokens: 200,
    cacheWriteTokens: null,
    reasoningTokens: 100,
  };
  const full = { m: { input: 2, output: 8, cachedInput: 0.5, reasoning: 4 } };
  assert.equal(
    callCostUsd(full, "m", null, usage),
    (800 * 2 + 200 * 0.5 + 400 * 8 + 100 * 4) / 1e6,
  );
  // Without the optional prices, cached input is input and reasoning is output.
  const plain = { m: { input: 2, output: 8 } };
  assert.equal(callCostUsd(plain, "m", null, usage), (1000 * 2 + 500 * 8) / 1e6);
  // Counts beyond the totals (a provider quirk) are capped, never negative.
  const odd = { ...usage, cachedTokens: 5000, reasoningTokens: 9000 };
  assert.equal(callCostUsd(full, "m", null, odd), (1000 * 0.5 + 500 * 4) / 1e6);
});

Deno.test("callCostUsd: cache writes at their own price, never more than the prompt", () => {
  const price = { m: { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 } };
  const usage = {
    inputTokens: 1000,
    outputTokens: 100,
    cachedTokens: 600,
    cacheWriteTokens: 300,
    reasoningTokens: null,
  };
  assert.equal(
    callCostUsd(price, "m", null, usage),
    (100 * 3 + 600 * 0.3 + 300 * 3.75 + 100 * 15) / 1e6,
  );
  // Reads and writes beyond the prompt are capped: no negative uncached count.
  assert.equal(
    callCostUsd(price, "m", null, { ...usage, cacheWriteTokens: 900 }),
    (600 * 0.3 + 400 * 3.75 + 100 * 15) / 1e6,
  );
  // Without a cacheWrite price, writes cost input.
  const noWrite = { m: { input: 3, output: 15, cachedInput: 0.3 } };
  assert.equal(
    callCostUsd(noWrite, "m", null, usage),
    (400 * 3 + 600 * 0.3 + 100 * 15) / 1e6,
  );
});

Deno.test("tokenUsage: each provider's rule for cached tokens, stored the OpenAI way", () => {
  // OpenAI: cached_tokens are part of prompt_tokens.
  const openai = {
    prompt_tokens: 1000,
    completion_tokens: 50,
    total_tokens: 1050,
    prompt_tokens_details: { cached_tokens: 800 },
    completion_tokens_details: { reasoning_tokens: 20 },
  };
  assert.deepEqual(tokenUsage(openai, "part_of_input"), {
    inputTokens: 1000,
    outputTokens: 50,
    cachedTokens: 800,
    cacheWriteTokens: null,
    reasoningTokens: 20,
  });
  // Anthropic-style (LiteLLM's names): reads and writes come on top of prompt_tokens.
  const anthropic = {
    prompt_tokens: 100,
    completion_tokens: 50,
    total_tokens: 150,
    cache_read_input_tokens: 800,
    cache_creation_input_tokens: 300,
  };
  assert.deepEqual(tokenUsage(anthropic, "in_addition"), {
    inputTokens: 1200,
    outputTokens: 50,
    cachedTokens: 800,
    cacheWriteTokens: 300,
    reasoningTokens: null,
  });
  // The same cost either way, once normalised.
  const price = { m: { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 } };
  assert.equal(
    callCostUsd(price, "m", null, tokenUsage(anthropic, "in_addition")),
    (100 * 3 + 800 * 0.3 + 300 * 3.75 + 50 * 15) / 1e6,
  );
  // OpenRouter's cache_write_tokens; junk counts are not counts.
  const odd = {
    prompt_tokens: 10,
    completion_tokens: 1,
    total_tokens: 11,
    prompt_tokens_details: { cached_tokens: -3, cache_write_tokens: 4 },
  };
  const u = tokenUsage(odd as never, "part_of_input");
  assert.equal(u.cachedTokens, null);
  assert.equal(u.cacheWriteTokens, 4);
});
