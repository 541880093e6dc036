import assert from "node:assert/strict";
import { CUSTOM, custom, EventType } from "../../agents/spine/events.ts";
import { foldRun } from "./fold.ts";
import type { AgentNodeView, LlmNodeView, ToolNodeView, TreeNodeView } from "./run_view.ts";
import * as td from "../../tests/support/sample_runs.ts";

const shape = (n: TreeNodeView): unknown =>
  n.kind === "message" ? `msg:${n.messageId}` : {
    [`${n.kind}:${n.nodeId}`]: n.children.map(shape),
  };

Deno.test("success run: state, metadata, progress, agents, answer, usage", () => {
  const events = td.successRun();
  const v = foldRun(events);
  assert.equal(v.runId, "run-ok");
  assert.equal(v.state, "succeeded");
  assert.equal(v.conversationId, td.CONVERSATION_ID);
  assert.equal(v.model, "glassbox-demo");
  assert.equal(v.demo, true);
  assert.equal(v.userMessage, "How much did we spend on LLM calls today?");
  assert.equal(v.lastEventId, events.at(-1)!.id);
  assert.deepEqual(v.progress, { percent: 100, step: 6, totalSteps: 6, message: "Done" });
  assert.deepEqual(v.agents.map((a) => [a.name, a.title, a.status]), [
    ["glassbox", "Orchestrator", "completed"],
    ["usage_analyst", "Usage analyst", "completed"],
    ["utility", "Clock & calculator", "idle"],
  ]);
  assert.deepEqual(v.answer.messages, [{ messageId: "msg-answer", text: td.ANSWER }]);
  assert.equal(v.answer.final, td.ANSWER);
  assert.equal(v.usage?.llmCalls, 4);
  assert.equal(v.usage?.costUsd, null);
  assert.equal(v.error, null);
  assert.equal(v.logs.length, 3);
  assert.equal(v.logs[2].level, "warning");
});

Deno.test("success run: the tree is run → agent → LLM calls → tools → sub-agent → …", () => {
  const v = foldRun(td.successRun());
  const sub = `agent:node-agent-${td.SUB}`;
  assert.deepEqual(shape(v.tree), {
    "agent:node-agent-root-run-ok": [
      {
        "llm:node-llm-span-root-1": [{
          "tool:node-tool-tc-ask": [{
            [sub]: [
              { "llm:node-llm-span-sub-1": [{ "tool:node-tool-tc-usage": [] }] },
              { "llm:node-llm-span-sub-2": [] },
              "msg:msg-sub",
            ],
          }],
        }],
      },
      { "llm:node-llm-span-root-2": [] },
    ],
  });
  assert.equal(v.tree.title, "Orchestrator");
  assert.equal(v.tree.status, "completed");
  const llm = v.tree.children[0] as LlmNodeView;
  assert.equal(llm.call.status, "ok");
  assert.equal(llm.call.model, "glassbox-demo-1", "the response model is shown");
  assert.equal(llm.call.inputTokens, 420);
  assert.equal(llm.operation, "chat");
  const ask = llm.children[0] as ToolNodeView;
  assert.equal(ask.name, "ask_usage_analyst");
  assert.equal(ask.args, `{"task": "Total LLM spend today"}`);
  assert.equal(ask.status, "done");
  assert.equal(ask.result, "7 calls today, $0.0042 in total.");
  const agent = ask.children[0] as AgentNodeView;
  assert.equal(agent.title, "Usage analyst");
  assert.equal(agent.status, "completed");
  const msg = agent.children[2];
  assert.equal(msg.kind === "message" && msg.text, "7 calls today, $0.0042 in total.");
});

Deno.test("failed run: error, failed call, root agent in error, no usage", () => {
  const v = foldRun(td.failedRun());
  assert.equal(v.state, "failed");
  assert.deepEqual(v.error, { message: "429 Too Many Requests", code: "rate_limited" });
  assert.equal(v.usage, null);
  assert.equal(v.tree.status, "error");
  const call = (v.tree.children[0] as LlmNodeView).call;
  assert.equal(call.status, "error");
  assert.equal(call.errorMessage, "429 Too Many Requests");
  assert.equal(call.inputTokens, null);
});

Deno.test("cancelled run: partial answer kept, no final answer, usage recorded", () => {
  const v = foldRun(td.cancelledRun());
  assert.equal(v.state, "cancelled");
  assert.equal(v.answer.final, null);
  assert.equal(v.answer.messages[0].text, "Here is the start of a long report");
  assert.equal(v.tree.status, "idle");
  assert.equal(v.tree.detail, "cancelled");
  assert.equal(v.usage?.outputTokens, 9);
});

Deno.test("a prefix of a run is a running run that resumes after its last event", () => {
  const events = td.successRun().slice(0, 20);
  const v = foldRun(events);
  assert.equal(v.state, "running");
  assert.equal(v.lastEventId, events.at(-1)!.id);
  assert.equal(v.answer.final, null);
});

Deno.test("no events: a pending run with an empty tree", () => {
  const v = foldRun([], { runId: "r-0" });
  assert.equal(v.state, "pending");
  assert.equal(v.tree.nodeId, "node-agent-root-r-0");
  assert.deepEqual(v.tree.children, []);
  assert.equal(v.lastEventId, 0);
});

Deno.test("keeps the last N log records and counts them all", () => {
  const logs = Array.from({ length: 250 }, (_, i) =>
    custom(CUSTOM.log, {
      level: "info",
      timestamp: td.T0 + i,
      agent: null,
      category: "x",
      message: `line ${i}`,
    }));
  const v = foldRun(td.numbered("r", [td.runStarted("r", "q"), ...logs]));
  assert.equal(v.logCount, 250);
  assert.equal(v.logs.length, 200);
  assert.equal(v.logs[0].message, "line 50");
  assert.equal(v.logs.at(-1)!.message, "line 249");
  assert.equal(foldRun(td.numbered("r", logs), { logLimit: 5 }).logs.length, 5);
});

Deno.test("orphans land under the root and duplicates are ignored", () => {
  const v = foldRun(td.numbered("r", [
    td.runStarted("r", "q"),
    {
      type: EventType.TOOL_CALL_START,
      toolCallId: "t1",
      toolCallName: "x",
      metadata: { spanId: "nope" },
    },
    { type: EventType.TOOL_CALL_START, toolCallId: "t1", toolCallName: "x" },
    td.llmFinished("s-only-finished", "glassbox"),
    { type: EventType.TEXT_MESSAGE_CONTENT, messageId: "unknown", delta: "lost" },
  ]));
  assert.deepEqual(v.tree.children.map((n) => n.nodeId), [
    "node-tool-t1",
    "node-llm-s-only-finished",
  ]);
  assert.equal((v.tree.children[1] as LlmNodeView).call.status, "ok");
});

Deno.test("pure: same input, same output, input untouched", () => {
  const events = td.successRun();
  const before = JSON.stringify(events);
  assert.deepEqual(foldRun(events), foldRun(events));
  assert.equal(JSON.stringify(events), before);
});
