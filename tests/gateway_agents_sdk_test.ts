/**
 * A real third-party framework through the gateway: an app written with the OpenAI Agents SDK
 * for JavaScript (`@openai/agents`, run as its own process, as an app would be), configured only
 * with the gateway's base URL and a Glassbox key, against a scripted upstream. Its two calls (one
 * asking for its tool, one answering with the tool's result) are recorded, attributed by its
 * headers, and are on the session's run stream.
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { gatewayStack } from "./support/gateway.ts";
import { allMessages } from "./support/sse_client.ts";

const ignore = await skipWithoutPostgres();
// Its own import map and lock: the SDK needs zod 4, Glassbox uses zod 3 (deno.json excludes it).
const APP_DIR = new URL("./fixtures/openai_agents/", import.meta.url).pathname;

Deno.test(
  { name: "gateway: an OpenAI Agents SDK app is recorded and watched", ignore },
  async () => {
    await using s = await gatewayStack({}, [
      {
        kind: "tool_calls",
        calls: [{ id: "call_w", name: "get_weather", argFragments: ['{"city":', '"Paris"}'] }],
      },
      { kind: "text", chunks: ["It is ", "sunny in Paris."] },
    ]);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-config",
        "--import-map=imports.json",
        "--lock=deno.lock",
        "--frozen",
        "app.ts",
      ],
      cwd: APP_DIR,
      env: {
        GATEWAY_URL: s.base,
        GATEWAY_KEY: s.key,
        GATEWAY_SESSION: "weather-app",
        NO_COLOR: "1",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    const printed = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
    assert.equal(printed.finalOutput, "It is sunny in Paris.");

    // The SDK really ran its tool: the second call carries the result.
    const second = JSON.stringify(s.llm.requests[1].body.messages);
    assert.match(second, /Sunny in Paris/);
    assert.equal(s.llm.requests[0].headers.get("authorization"), "Bearer upstream-secret-key");

    const rows = await s.rows();
    assert.equal(rows.length, 2);
    for (const row of rows) {
      assert.equal(row.status, "ok");
      assert.equal(row.agent_name, "weather_app");
      assert.equal(row.metadata.session, "weather-app");
      assert.equal(row.input_tokens, 10);
      assert.ok(row.run_id);
    }
    assert.equal(rows[0].run_id, rows[1].run_id, "one session, one run");
    assert.deepEqual(rows[0].tool_calls.map((c: { name: string }) => c.name), ["get_weather"]);
    assert.equal(rows[1].response, "It is sunny in Paris.");

    // On the spine: the run's stream (still open: the session is) has both spans and the text.
    const reader = await s.user.bearer(["read"]);
    const res = await fetch(`${s.gb.url}/api/v1/runs/${rows[0].run_id}/events`, {
      headers: reader,
    });
    const body = res.body!;
    const seen: { type: string; name?: string; delta?: string }[] = [];
    const done = (async () => {
      for (const m of await allMessages(body)) seen.push(JSON.parse(m.data).event);
    })();
    await s.gb.glassbox.deps.gateway.closeSessions(); // ends the session's run, so the stream ends
    await done;
    const finished = seen.filter((e) => e.name === "glassbox.llm_call_finished");
    assert.equal(finished.length, 2);
    const text = seen.filter((e) => e.type === "TEXT_MESSAGE_CONTENT").map((e) => e.delta).join("");
    assert.equal(text, "It is sunny in Paris.");
    assert.ok(seen.some((e) => e.type === "TOOL_CALL_START"));
    assert.equal(seen.at(-1)!.type, "RUN_FINISHED");
  },
);
