import assert from "node:assert/strict";
import { alertBody, measuredMessage, slackEscape, windowText } from "./payload.ts";
import { backoffMs, judge } from "./alerts.ts";
import type { AlertRule } from "../../db/alerts.ts";

const rule = {
  id: "r1",
  name: "Spend <a> & b",
  kind: "cost",
  threshold: 5,
  windowMinutes: 1440,
  minCalls: 5,
} as AlertRule;
const at = new Date("2026-12-01T10:00:00Z");

Deno.test("alert payloads: Standard Webhooks shape, and a Slack message with mrkdwn escaped", () => {
  const std = JSON.parse(alertBody("standard", {
    event: "alert.fired",
    rule,
    value: 6,
    message: "m",
    at,
  }));
  assert.deepEqual(std, {
    type: "alert.fired",
    timestamp: "2026-12-01T10:00:00.000Z",
    data: {
      rule: { id: "r1", name: "Spend <a> & b", kind: "cost", threshold: 5, window_minutes: 1440 },
      state: "firing",
      value: 6,
      message: "m",
    },
  });
  const slack = JSON.parse(alertBody("slack", {
    event: "alert.resolved",
    rule,
    value: 1,
    message: "x < y",
    at,
  }));
  assert.equal(slack.text, ":white_check_mark: *Spend &lt;a&gt; &amp; b* x &lt; y");
  assert.deepEqual(slack.blocks.map((b: { type: string }) => b.type), ["section", "context"]);
  assert.equal(slackEscape("<@U1>&"), "&lt;@U1&gt;&amp;");
});

Deno.test("alert messages, windows, backoff and verdicts", () => {
  assert.equal(windowText(60), "1 h");
  assert.equal(windowText(1440), "24 h");
  assert.equal(windowText(10080), "7 days");
  assert.equal(windowText(15), "15 min");
  assert.equal(
    measuredMessage(rule, { value: 5.5, calls: 4 }, true),
    "LLM cost in the last 24 h: $5.50 over 4 calls (threshold $5.00).",
  );
  const s = { retryBaseMs: 100, maxRetryMs: 500 };
  assert.deepEqual([1, 2, 3, 4, 5].map((a) => backoffMs(s, a)), [100, 200, 400, 500, 500]);
  const m = { calls: 4, costUsd: 5, failed: 2, okCalls: 2, latencyP95: 900 };
  assert.deepEqual(judge(rule, m), { value: 5, breach: true });
  assert.equal(judge({ ...rule, kind: "error_rate", threshold: 10 }, m), null, "too few calls");
  assert.deepEqual(judge({ ...rule, kind: "error_rate", threshold: 10, minCalls: 4 }, m), {
    value: 50,
    breach: true,
  });
  assert.deepEqual(judge({ ...rule, kind: "latency", threshold: 1000, minCalls: 2 }, m), {
    value: 900,
    breach: false,
  });
});
