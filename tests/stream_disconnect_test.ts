/**
 * Clients that go away must never crash the process. Defect 17 of issue 7: 20 concurrent
 * `POST /api/v1/chat/stream` clients that hang up right after the response headers ended the
 * process with `Uncaught TypeError: The stream controller cannot close or enqueue`, thrown from
 * the hub's flush timer (intermittently, within 1–9 rounds of 20). An uncaught error fails this
 * test (Deno reports it), so it hammers exactly that, several rounds. The hub-level test that
 * fails every time without the fix is agents/spine/event_hub_disconnect_test.ts.
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { withDemoGlassbox } from "./support/server.ts";
import { waitFor } from "./support/wait.ts";

const ignore = await skipWithoutPostgres();
const ROUNDS = 5;
const CLIENTS = 20;

/** A raw HTTP/1.1 POST that reads up to the end of the response headers, then hangs up. */
async function postAndHangUp(port: number, path: string, body: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const bytes = new TextEncoder().encode(body);
    await conn.write(new TextEncoder().encode(
      `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\n` +
        `content-length: ${bytes.byteLength}\r\n\r\n`,
    ));
    await conn.write(bytes);
    const buf = new Uint8Array(4096);
    let head = "";
    while (!head.includes("\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      head += new TextDecoder().decode(buf.subarray(0, n));
    }
    return head.slice(0, head.indexOf("\r\n"));
  } finally {
    conn.close();
  }
}

Deno.test({
  name: "streams: 20 concurrent chat-stream clients hanging up after the headers, many rounds",
  ignore,
}, async () => {
  await withDemoGlassbox(async (gb) => {
    const port = Number(new URL(gb.url).port);
    const { runs, hub } = gb.glassbox.deps;
    for (let round = 0; round < ROUNDS; round++) {
      const lines = await Promise.all(
        Array.from(
          { length: CLIENTS },
          (_, i) =>
            postAndHangUp(
              port,
              "/api/v1/chat/stream",
              JSON.stringify({ message: `What is ${round} * ${i}? Tell me in detail.` }),
            ),
        ),
      );
      for (const line of lines) assert.equal(line, "HTTP/1.1 200 OK");
    }
    // Every run finishes, every subscriber is gone, and the server still answers.
    await waitFor(() => runs.activeRuns === 0, "every run to finish", 60_000);
    await waitFor(() => hub.stats().subscribers === 0, "every subscriber to be dropped");
    const health = await fetch(`${gb.url}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
  }, {
    // Chunks keep coming after the hang-ups; no per-user limit on the 100 runs.
    GLASSBOX_DEMO_DELAY_MS: "2",
    GLASSBOX_USER_MAX_RUNS: "0",
    GLASSBOX_USER_RUNS_PER_MINUTE: "0",
  });
});
