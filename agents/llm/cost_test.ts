import assert from "node:assert/strict";
import { callCostUsd, formatUsd } from "./cost.ts";
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
  };
  for (const usd of [0, 0.0001, 0.0042, 0.5, 3.2]) {
    assert.equal(formatCost(usd), formatUsd(usd));
    assert.equal(costPhrase({ ...group, costUsd: usd }), formatUsd(usd));
  }
  assert.equal(formatCost(null), "unknown");
  assert.equal(costPhrase({ ...group, costUsd: null }), "cost unknown");
});

Deno.test("callCostUsd: cached input and reasoning tokens at their own prices, else input/output", () => {
  const usage = { inputTokens: 1000, outputTokens: 500, cachedTokens: 200, reasoningTokens: 100 };
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
