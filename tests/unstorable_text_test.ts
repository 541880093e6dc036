/**
 * Text Postgres cannot store (NUL, a lone UTF-16 surrogate, half an emoji) must never poison the
 * event writer: the run that carries it ends, and every later run of the process stores its events
 * and ends too (issue 7, defect 1).
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { withDemoGlassbox } from "./support/server.ts";
import { listEvents } from "../db/events.ts";

const ignore = await skipWithoutPostgres();

Deno.test(
  {
    name: "unstorable text: an emoji question on the demo model is answered, later runs too",
    ignore,
  },
  async () => {
    await withDemoGlassbox(async (gb) => {
      for (const message of ["What is 17 * 23? xxx😀 thanks", "What is 2 + 2?"]) {
        // Without the fix the answer never comes: bounded, so the test fails instead of hanging.
        const res = await fetch(`${gb.url}/api/v1/chat`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ message }),
          signal: AbortSignal.timeout(60_000),
        });
        const body = await res.json();
        assert.equal(res.status, 200, JSON.stringify(body));
        assert.equal(body.status, "succeeded", JSON.stringify(body));
        const events = await listEvents(gb.glassbox.deps.db.sql, body.run_id);
        assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), "gap-free");
        assert.equal(events.at(-1)?.event.type, "RUN_FINISHED");
      }
      // Chunks slower than the journal's 30 ms coalescing window: each argument fragment is an
      // event of its own, as in the browser.
    }, { GLASSBOX_DEMO_DELAY_MS: "40" });
  },
);
