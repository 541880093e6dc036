/**
 * A stream resumed at or after a run's last event ends (defect 4 of issue 7): "ended" comes from
 * the run's state, not from the slice of history after Last-Event-ID (empty then), so such a
 * stream used to send keep-alives forever — also the reconnect of a page reloaded while the run
 * was still recording. The HTML stream ends with its `done` event (htmx closes on it); the
 * WebSocket says `complete: true`. Real Postgres; the events table is locked to hold a finished
 * run in its recording phase.
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { postJson, withDemoGlassbox } from "./support/server.ts";
import { allMessages, connectSse, parseSse } from "./support/sse_client.ts";
import { connectWs } from "./support/ws_client.ts";
import { waitFor } from "./support/wait.ts";
import type { TestServer } from "./support/server.ts";
import { holdEventWriter } from "./support/hold_writer.ts";

const ignore = await skipWithoutPostgres();

/** The whole body, or a failure if the server does not end it within `ms`. */
async function bodyWithin(res: Response, ms = 10_000): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      res.body?.cancel().catch(() => {});
      reject(new Error(`the stream did not end within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([res.text(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every resume at or after the end ends, with nothing before its end marker. */
async function resumesAtEndEnd(gb: TestServer, runId: string, lastId: number) {
  for (const after of [lastId, lastId + 1000]) {
    const api = await connectSse(`${gb.url}/api/v1/runs/${runId}/events`, {
      lastEventId: String(after),
    });
    assert.deepEqual(parseSse(await bodyWithin(api)), [], `API stream after ${after}`);

    const page = await fetch(`${gb.url}/runs/${runId}/events?after=${after}`);
    assert.equal(page.status, 200);
    const messages = parseSse(await bodyWithin(page));
    assert.deepEqual(messages.map((m) => m.event), ["done"], `HTML stream after ${after}`);

    const ws = await connectWs(gb.url);
    try {
      ws.send({ type: "subscribe", run_id: runId, after });
      assert.deepEqual(await ws.next((m) => m.type === "end"), {
        type: "end",
        run_id: runId,
        complete: true,
      });
      assert.deepEqual(ws.inbox.filter((m) => m.type === "event"), []);
    } finally {
      await ws.close();
    }
  }
}

Deno.test({ name: "streams: a resume at or after a run's end ends", ignore }, async () => {
  await withDemoGlassbox(async (gb) => {
    // An ended, stored run.
    const res = await postJson(`${gb.url}/api/v1/chat/stream`, { message: "What is 2 + 2?" });
    const runId = res.headers.get("x-run-id")!;
    const events = await allMessages(res.body!);
    await waitFor(() => !gb.glassbox.deps.journals.get(runId), "the run to be stored");
    await resumesAtEndEnd(gb, runId, Number(events.at(-1)!.id));
  });
});

Deno.test({
  name: "streams: a resume at the end of a run still recording its events ends",
  ignore,
}, async () => {
  await withDemoGlassbox(async (gb) => {
    const { journals } = gb.glassbox.deps;
    const held = await holdEventWriter(gb);
    try {
      const res = await postJson(`${gb.url}/api/v1/chat/stream`, { message: "What is 3 + 4?" });
      const runId = res.headers.get("x-run-id")!;
      const events = await allMessages(res.body!);
      assert.ok(journals.get(runId)?.ended, "the run ended and is still recording");
      await resumesAtEndEnd(gb, runId, Number(events.at(-1)!.id));
    } finally {
      await held.release();
    }
  });
});
