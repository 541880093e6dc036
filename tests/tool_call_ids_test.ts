/**
 * Provider tool-call ids are not trusted to be unique (defect 10 of issue 7): they key the
 * journal's coalescing, the run's open calls and the page's DOM ids, and providers repeat them —
 * across calls ("call_1" every time) and even within one response. The events carry ids
 * namespaced per LLM call; the provider's goes back to the provider unchanged. Real HTTP to a
 * scripted OpenAI-compatible server, real Postgres.
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { postJson, startStack } from "./support/server.ts";
import { allMessages } from "./support/sse_client.ts";

const ignore = await skipWithoutPostgres();

Deno.test({ name: "tool calls: repeated provider ids are distinct calls", ignore }, async () => {
  const t = await startStack({ GLASSBOX_MODEL: "gpt-4o-mini" }, [
    {
      kind: "tool_calls",
      calls: [{ id: "call_1", name: "ask_utility", argFragments: ['{"task":"6*7 and 5*5"}'] }],
    },
    {
      kind: "tool_calls",
      calls: [
        { id: "call_1", name: "calculator", argFragments: ['{"expression":', '"6*7"}'] },
        { id: "call_1", name: "calculator", argFragments: ['{"expression":', '"5*5"}'] },
      ],
    },
    { kind: "text", chunks: ["42 and 25."] },
    { kind: "text", chunks: ["They are 42 and 25."] },
  ]);
  try {
    const res = await postJson(`${t.gb.url}/api/v1/chat/stream`, { message: "6*7 and 5*5?" });
    const conversationId = res.headers.get("x-conversation-id")!;
    const events = (await allMessages(res.body!)).map((m) => JSON.parse(m.data).event);
    const of = (type: string) => events.filter((e) => e.type === type);
    const starts = of("TOOL_CALL_START").map((e) => e.toolCallId as string);
    assert.equal(new Set(starts).size, 3, `three distinct calls: ${starts}`);
    assert.deepEqual(
      of("TOOL_CALL_START").map((e) => e.metadata.providerToolCallId),
      ["call_1", "call_1", "call_1"],
    );
    for (const type of ["TOOL_CALL_END", "TOOL_CALL_RESULT"]) {
      assert.deepEqual(of(type).map((e) => e.toolCallId).sort(), [...starts].sort(), type);
    }
    // Each calculator call got its own arguments and its own result.
    const argsOf = (id: string) =>
      of("TOOL_CALL_ARGS").filter((e) => e.toolCallId === id).map((e) => e.delta).join("");
    const resultOf = (id: string) =>
      of("TOOL_CALL_RESULT").find((e) => e.toolCallId === id).content;
    const [, calc1, calc2] = starts;
    assert.deepEqual([argsOf(calc1), resultOf(calc1)], ['{"expression":"6*7"}', "6*7 = 42"]);
    assert.deepEqual([argsOf(calc2), resultOf(calc2)], ['{"expression":"5*5"}', "5*5 = 25"]);
    // The provider got its own ids back with the results.
    const toolMessages =
      (t.llm.requests[2].body.messages as { role: string; tool_call_id?: string }[])
        .filter((m) => m.role === "tool");
    assert.deepEqual(toolMessages.map((m) => m.tool_call_id), ["call_1", "call_1"]);
    // The page draws three tool nodes.
    const page = await (await fetch(`${t.gb.url}/c/${conversationId}`)).text();
    const nodes = new Set(
      [...page.matchAll(/id="(node-tool-[^"]+)"/g)].map((m) => m[1])
        .filter((id) => !/-(head|status|args|result|children)$/.test(id)),
    );
    assert.equal(nodes.size, 3, [...nodes].join(" "));
  } finally {
    await t.close();
  }
});
