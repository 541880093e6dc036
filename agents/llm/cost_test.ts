import assert from "node:assert/strict";
import { formatUsd } from "./cost.ts";
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
