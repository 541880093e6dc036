/**
 * The usage dashboard: GET /usage rendered over many recorded LLM calls (seeded straight into a
 * fresh local Postgres, spread over the last 6 days, three users), as an admin sees it (every
 * user) and with a model filter, for the default 7 days and for 30 days.
 */
import { createGlassbox } from "../app.ts";
import { loadConfig } from "../config.ts";
import { LOCAL_USER_ID } from "../db/users.ts";
import { seedUsage } from "../tests/support/usage_seed.ts";
import { type Cleanup, freshPostgres, num, summarize, table } from "./support.ts";

export async function usageBench(cleanup: Cleanup, o: { calls: number; requests: number }) {
  const db = await freshPostgres(cleanup);
  const users = [LOCAL_USER_ID];
  for (const email of ["u1@example.com", "u2@example.com"]) {
    const id = crypto.randomUUID();
    await db.sql`INSERT INTO users (id, email, role) VALUES (${id}, ${email}, 'member')`;
    users.push(id);
  }
  await seedUsage(db.sql, { users, calls: o.calls, old: 0 });
  await db.sql`ANALYZE llm_calls`;
  const gb = await createGlassbox(loadConfig({ DATABASE_URL: db.url, PORT: "0" }), {
    writeLog: () => {},
  });
  cleanup.add("close glassbox", async () => void await gb.close());
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, gb.app.fetch);
  cleanup.add("stop server", () => server.shutdown());
  const url = `http://127.0.0.1:${server.addr.port}`;
  const rows = [];
  for (const q of ["", "?period=30d", "?model=model-big", `?user_id=${users[1]}`]) {
    const times = [];
    let bytes = 0;
    for (let i = 0; i < o.requests + 2; i++) {
      const t0 = performance.now();
      const res = await fetch(`${url}/usage${q}`);
      const html = await res.text();
      if (res.status !== 200) throw new Error(`/usage${q} answered ${res.status}`);
      if (i >= 2) times.push(performance.now() - t0); // two warm-ups
      bytes = html.length;
    }
    const s = summarize(times);
    rows.push([
      `\`/usage${q.replace(users[1], "<user>")}\``,
      num(s.p50, 1),
      num(s.p99, 1),
      num(bytes / 1024, 0),
    ]);
  }
  return `${o.calls.toLocaleString("en-US")} calls in llm_calls, ${o.requests} requests each:\n\n` +
    table(["page", "p50 ms", "p99 ms", "KiB"], rows);
}
