/**
 * The log tail resumes without a gap and says when it skipped records (defect 11 of issue 7): a
 * resume gets at most the newest 200 records after its cursor, and now says so when there were
 * more; a record published while the backlog is read (a journal closing meanwhile: no longer in
 * memory, not yet in what the query saw) is no longer missed. Real Postgres; the events table is
 * locked to hold the backlog query.
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { postJson, withDemoGlassbox } from "./support/server.ts";
import { connectSse, takeMessages } from "./support/sse_client.ts";
import { holdEventWriter } from "./support/hold_writer.ts";
import { waitFor } from "./support/wait.ts";
import { allocateEventIds, insertEvents, listEvents } from "../db/events.ts";
import { CUSTOM, custom, type RunEvent } from "../agents/spine/events.ts";
import { LOGS_TOPIC } from "../agents/spine/journal.ts";

const ignore = await skipWithoutPostgres();

const logEvent = (id: number, runId: string, seq: number, message: string): RunEvent => ({
  id,
  runId,
  seq,
  createdAt: Date.now(),
  event: custom(CUSTOM.log, {
    level: "info",
    timestamp: Date.now(),
    agent: null,
    category: "test",
    message,
  }),
});

Deno.test(
  { name: "log tail: a resume says it skipped records; none is missed", ignore },
  async () => {
    await withDemoGlassbox(async (gb) => {
      const { sql } = gb.glassbox.deps.db;
      const body = await (await postJson(`${gb.url}/api/v1/chat`, { message: "2+2?" })).json();
      const runId = body.run_id as string;
      const stored = await listEvents(sql, runId);
      const cursor = stored.at(-1)!.id;
      // 300 more records of that run than the backlog holds.
      const ids = await allocateEventIds(sql, 300);
      await insertEvents(
        sql,
        ids.map((id, i) => logEvent(id, runId, stored.length + 1 + i, `r${i}`)),
      );

      const res = await connectSse(`${gb.url}/api/v1/logs/stream`, { lastEventId: String(cursor) });
      const [notice, ...records] = await takeMessages(res.body!, 201);
      assert.equal(notice.event, "skipped");
      assert.deepEqual(JSON.parse(notice.data), { skipped: true, oldest_shown: ids[100] });
      assert.deepEqual(records.map((m) => Number(m.id)), ids.slice(100));

      // Resumed at the end: no notice. A record published while the backlog query waits (it is in
      // no journal and not in the table) comes first.
      const held = await holdEventWriter(gb);
      let tail: Promise<Response>;
      const [live] = await allocateEventIds(sql, 1);
      try {
        tail = connectSse(`${gb.url}/api/v1/logs/stream`, { lastEventId: String(ids.at(-1)) });
        await waitFor(
          async () =>
            (await sql`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE wait_event_type = 'Lock' AND query LIKE '%glassbox.log%'`)[0].n > 0,
          "the backlog query to wait",
        );
        gb.glassbox.deps.hub.publish(LOGS_TOPIC, logEvent(live, runId, 10_000, "while reading"));
      } finally {
        await held.release();
      }
      const [first] = await takeMessages((await tail).body!, 1);
      assert.equal(first.event, undefined);
      assert.equal(Number(first.id), live);
    });
  },
);
