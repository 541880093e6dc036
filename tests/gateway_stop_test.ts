/**
 * Stop on a gateway session, over real HTTP: the cancel API (and the page's Stop button, its
 * form post) on the session's run aborts the calls in flight — a stream ends with an error
 * event, a waiting non-streamed call gets a 409 — records them as cancelled with what had
 * arrived, ends the run `cancelled` with a stored terminal event, and refuses the session's next
 * calls with a 409 (without reaching the upstream) while another session name works.
 */
import assert from "node:assert/strict";
import OpenAI from "openai";
import { listEvents } from "../db/events.ts";
import { skipWithoutPostgres } from "./support/db.ts";
import { gatewayStack } from "./support/gateway.ts";
import { postJson } from "./support/server.ts";
import { Browser } from "./support/users.ts";
import { waitFor } from "./support/wait.ts";

const ignore = await skipWithoutPostgres();
const ask = { model: "gpt-test", messages: [{ role: "user" as const, content: "loop" }] };

Deno.test(
  { name: "gateway stop: in-flight calls aborted, the run cancelled, later calls refused", ignore },
  async () => {
    await using s = await gatewayStack({}, [
      { kind: "stall", afterChunks: ["Hel"] },
      { kind: "stall", afterChunks: [] },
    ]);
    const client = s.openai({ "x-glassbox-session": "runaway" });
    const { data: stream, response } = await client.chat.completions.create({
      ...ask,
      stream: true,
    }).withResponse();
    const runId = response.headers.get("x-glassbox-run-id")!;
    const it = stream[Symbol.asyncIterator]();
    let text = "";
    while (!text) text = (await it.next()).value?.choices[0]?.delta.content ?? "";
    assert.equal(text, "Hel");
    const whole = client.chat.completions.create(ask).then(
      () => assert.fail("the stopped call must not succeed"),
      (err) => err,
    );
    await waitFor(() => s.llm.requests.length === 2, "both calls upstream");
    assert.ok(s.gb.glassbox.deps.gateway.isLive(runId));

    const stop = await postJson(
      `${s.gb.url}/api/v1/runs/${runId}/cancel`,
      {},
      await s.user.bearer(["read", "chat"]),
    );
    assert.equal(stop.status, 200);
    assert.deepEqual(await stop.json(), { run_id: runId, status: "cancelled" });

    // The stream ends with an error event, which the openai client throws.
    const streamed = await (async () => {
      try {
        for (let r = await it.next(); !r.done; r = await it.next()) { /* until the error */ }
      } catch (err) {
        return err;
      }
    })();
    assert.ok(streamed instanceof OpenAI.APIError, String(streamed));
    assert.match(streamed.message, /session "runaway" was stopped/);
    const refused = await whole;
    assert.ok(refused instanceof OpenAI.APIError, String(refused));
    assert.equal(refused.status, 409);
    assert.equal(refused.code, "session_stopped");
    assert.deepEqual(
      await Promise.all(s.llm.requests.map((r) => r.ended)),
      ["disconnected", "disconnected"],
      "both upstream requests closed",
    );

    // Recorded as cancelled, with what had arrived; the run ended cancelled, terminal stored.
    const rows = await s.rows();
    assert.deepEqual(rows.map((r) => r.status), ["cancelled", "cancelled"]);
    assert.ok(rows.every((r) => r.run_id === runId));
    assert.deepEqual(rows.map((r) => r.response ?? "").sort(), ["", "Hel"]);
    const [run] = await s.db.sql`SELECT status FROM runs WHERE id = ${runId}`;
    assert.equal(run.status, "cancelled");
    const events = (await listEvents(s.db.sql, runId)).map((e) => e.event);
    const last = events.at(-1) as { type: string; outcome?: { type: string } };
    assert.equal(last.type, "RUN_FINISHED");
    assert.equal(last.outcome?.type, "cancelled");
    const finished = events.filter((e) =>
      e.type === "CUSTOM" && e.name === "glassbox.llm_call_finished"
    );
    assert.equal(finished.length, 2, "both calls end in the run's tree before its end");
    assert.ok(!s.gb.glassbox.deps.gateway.isLive(runId));

    // Later calls on the session are refused, and never reach the upstream.
    const again = await postJson(`${s.base}/chat/completions`, ask, {
      ...s.headers,
      "x-glassbox-session": "runaway",
    });
    assert.equal(again.status, 409);
    assert.equal(again.headers.get("x-should-retry"), "false");
    const body = await again.json();
    assert.equal(body.error.code, "session_stopped");
    assert.match(body.error.message, /X-Glassbox-Session/);
    assert.equal(s.llm.requests.length, 2);

    // Another session works; the page's Stop button (its form post) stops it too.
    s.llm.push({ kind: "text", chunks: ["fine"] });
    const other = s.openai({ "x-glassbox-session": "other" });
    const ok = await other.chat.completions.create(ask).asResponse();
    assert.equal(ok.status, 200);
    const otherRun = ok.headers.get("x-glassbox-run-id")!;
    assert.notEqual(otherRun, runId);
    const browser = new Browser(s.gb.url);
    await browser.signIn(s.user.email, s.user.password);
    const button = await browser.post(`/runs/${otherRun}/cancel`);
    assert.equal(button.status, 202);
    await waitFor(
      async () =>
        (await s.db.sql`SELECT status FROM runs WHERE id = ${otherRun}`)[0]?.status ===
          "cancelled",
      "the other session's run cancelled",
    );
    const refusedToo = await other.chat.completions.create(ask).catch((err) => err);
    assert.equal(refusedToo.status, 409);
    assert.equal(s.llm.requests.length, 3);
  },
);
