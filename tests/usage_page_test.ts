/**
 * The usage dashboard over real HTTP with a real Postgres and sign-in on: llm_calls seeded with
 * known data (tests/support/usage_seed.ts) for two members and an admin; every chart's table and
 * marks compared with totals computed here, independently, in SQL (percentiles in JS from the raw
 * rows); the filters; owner scope (a member sees only their own usage and no user ranking); every
 * mark a link to /calls that lists exactly the calls behind it; bad filters a 400 page.
 */
import assert from "node:assert/strict";
import type { Sql } from "../db/client.ts";
import { formatCost } from "../views/common/format.ts";
import { type Doc, parseDoc } from "./support/dom.ts";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { startGlassbox } from "./support/server.ts";
import { seedUsage } from "./support/usage_seed.ts";
import { accountsOf, Browser } from "./support/users.ts";

const ignore = await skipWithoutPostgres();
const ADMIN = { email: "root@example.com", password: "correct horse battery staple" };
/** The seeded calls are between 1 h and 6 days old (and 40 days): "7d" holds the same rows. */
const IN_7D = "started_at > now() - interval '7 days'";

/** A chart's table: row key (bucket ISO day, or a ranking's key) → series → raw value. */
type Table = Map<string, Map<string, number | null>>;

function table(doc: Doc, chart: string): Table {
  const t: Table = new Map();
  const el = doc.querySelector(`#${chart}-table`);
  assert.ok(el, `#${chart}-table`);
  for (const tr of el.querySelectorAll("tbody tr")) {
    const key = tr.getAttribute("data-bucket")?.slice(0, 10) ?? tr.getAttribute("data-key");
    const cells = new Map<string, number | null>();
    for (const td of tr.querySelectorAll("td[data-series]")) {
      const v = td.getAttribute("data-value");
      cells.set(td.getAttribute("data-series"), v === "" ? null : Number(v));
    }
    t.set(key, cells);
  }
  return t;
}

const close = (a: number | null | undefined, b: number | null | undefined) =>
  a === b ||
  (typeof a === "number" && typeof b === "number" && Math.abs(a - b) <= 1e-9 * (1 + Math.abs(b)));

/** Every expected (row, series) value is in the table, and every other cell of it is empty. */
function assertTable(
  doc: Doc,
  chart: string,
  expected: Map<string, Map<string, number | null>>,
  series: string[],
) {
  const t = table(doc, chart);
  for (const [key, cells] of t) {
    for (const s of series) {
      const want = expected.get(key)?.get(s) ?? null;
      assert.ok(
        close(cells.get(s) ?? null, want),
        `${chart} ${key} ${s}: ${cells.get(s)} ≠ ${want}`,
      );
    }
  }
  for (const key of expected.keys()) assert.ok(t.has(key), `${chart} has a row for ${key}`);
  // The marks show the same numbers as the table.
  for (const m of doc.querySelectorAll(`#${chart} svg [data-series]`)) {
    const key = m.getAttribute("data-bucket").slice(0, 10);
    const v = Number(m.getAttribute("data-value"));
    assert.ok(close(v, t.get(key)?.get(m.getAttribute("data-series"))), `${chart} mark ${key}`);
    assert.match(m.parentNode.getAttribute("href"), /^\/calls\?/, "every mark links to calls");
  }
}

function grid(rows: { day: string; k: string; v: number | null }[]) {
  const m = new Map<string, Map<string, number | null>>();
  for (const r of rows) {
    if (!m.has(r.day)) m.set(r.day, new Map());
    m.get(r.day)!.set(r.k, r.v === null ? null : Number(r.v));
  }
  return m;
}

const DAY = "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')";

/** Linear-interpolated percentile, as Postgres' percentile_cont. */
function percentile(xs: number[], p: number): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * p;
  const lo = Math.floor(i);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
}

async function expectAll(sql: Sql, where: string, doc: Doc) {
  const w = sql.unsafe(where);
  const cost = await sql`SELECT ${sql.unsafe(DAY)} AS day, request_model AS k,
      sum(cost_usd)::float8 AS v, count(*) FILTER (WHERE cost_usd IS NULL)::int AS unpriced
    FROM llm_calls WHERE ${w} GROUP BY 1, 2`;
  assertTable(doc, "chart-cost", grid(cost as never), [...new Set(cost.map((r) => r.k))]);
  assertTable(
    doc,
    "chart-unpriced",
    grid(cost.filter((r) => r.unpriced > 0).map((r) => ({ day: r.day, k: r.k, v: r.unpriced }))),
    [...new Set(cost.filter((r) => r.unpriced > 0).map((r) => r.k))],
  );
  const tokens = await sql`SELECT ${sql.unsafe(DAY)} AS day,
      sum(input_tokens)::float8 AS input, sum(output_tokens)::float8 AS output
    FROM llm_calls WHERE ${w} GROUP BY 1`;
  assertTable(
    doc,
    "chart-tokens",
    grid(tokens.flatMap((r) => [
      { day: r.day, k: "input", v: r.input ?? 0 },
      { day: r.day, k: "output", v: r.output ?? 0 },
    ])),
    ["input", "output"],
  );
  const status = await sql`SELECT ${sql.unsafe(DAY)} AS day, status AS k, count(*)::int AS v
    FROM llm_calls WHERE ${w} GROUP BY 1, 2`;
  assertTable(doc, "chart-calls", grid(status as never), ["ok", "error", "timeout", "cancelled"]);
  const perDay = new Map<string, number>();
  for (const r of status) perDay.set(r.day, (perDay.get(r.day) ?? 0) + r.v);
  assertTable(
    doc,
    "chart-rates",
    grid([...perDay].flatMap(([day, n]) =>
      ["error", "timeout", "cancelled"].map((k) => ({
        day,
        k,
        v: 100 * (status.find((r) => r.day === day && r.k === k)?.v ?? 0) / n,
      }))
    )),
    ["error", "timeout", "cancelled"],
  );
  const ok = await sql`SELECT ${sql.unsafe(DAY)} AS day, duration_ms,
      extract(epoch FROM first_chunk_at - started_at) * 1000 AS ttft
    FROM llm_calls WHERE ${w} AND status = 'ok'`;
  const days = [...new Set(ok.map((r) => r.day as string))];
  const pcts = (pick: (r: Record<string, unknown>) => number | null) =>
    grid(days.flatMap((day) => {
      const xs = ok.filter((r) => r.day === day).map(pick).filter((v): v is number => v !== null);
      return [
        { day, k: "p50", v: percentile(xs, 0.5) },
        { day, k: "p95", v: percentile(xs, 0.95) },
      ];
    }));
  assertTable(doc, "chart-latency", pcts((r) => Number(r.duration_ms)), ["p50", "p95"]);
  assertTable(
    doc,
    "chart-ttft",
    pcts((r) => (r.ttft === null ? null : Number(r.ttft))),
    ["p50", "p95"],
  );
  // The rankings: the same entries, in the same order, with the same numbers.
  // Ties in cost (none priced) go by calls, then by the label the page shows.
  for (
    const [chart, col, label] of [
      [
        "chart-top-conversations",
        "conversation_id::text",
        "(SELECT coalesce(nullif(title, ''), '(untitled)') FROM conversations c WHERE c.id = conversation_id)",
      ],
      [
        "chart-top-users",
        "user_id::text",
        "(SELECT coalesce(email, name) FROM users u WHERE u.id = user_id)",
      ],
      [
        "chart-top-agents",
        "coalesce(agent_name, '(unnamed)')",
        "coalesce(agent_name, '(unnamed)')",
      ],
    ]
  ) {
    if (!doc.querySelector(`#${chart}`)) continue;
    const top = await sql`SELECT ${sql.unsafe(col)} AS key, sum(cost_usd)::float8 AS cost,
        count(*)::int AS calls, count(*) FILTER (WHERE cost_usd IS NULL)::int AS unpriced,
        min(${sql.unsafe(label)}) AS label
      FROM llm_calls WHERE ${w} AND ${sql.unsafe(col)} IS NOT NULL
      GROUP BY 1 ORDER BY cost DESC NULLS LAST, calls DESC, label LIMIT 10`;
    const t = table(doc, chart);
    assert.deepEqual([...t.keys()], top.map((r) => r.key), `${chart} order`);
    for (const r of top) {
      const row = t.get(r.key)!;
      assert.ok(close(row.get("cost"), r.cost), `${chart} ${r.key} cost`);
      assert.equal(row.get("calls"), r.calls);
      assert.equal(row.get("unpriced"), r.unpriced);
    }
  }
  // The headline figures.
  const [tot] = await sql`SELECT sum(cost_usd)::float8 AS cost, count(*)::int AS calls,
      count(*) FILTER (WHERE cost_usd IS NULL)::int AS unpriced FROM llm_calls WHERE ${w}`;
  const stat = (n: string) =>
    doc.querySelector(`#usage-totals [data-stat=${n}] dd`).firstChild.textContent;
  assert.equal(stat("cost"), formatCost(tot.cost));
  assert.equal(stat("calls"), String(tot.calls));
  assert.equal(stat("unpriced"), String(tot.unpriced));
  return tot as { cost: number | null; calls: number; unpriced: number };
}

async function world() {
  const db = await freshPostgres();
  const gb = await startGlassbox({
    DATABASE_URL: db.url,
    GLASSBOX_ADMIN_EMAIL: ADMIN.email,
    GLASSBOX_ADMIN_PASSWORD: ADMIN.password,
  });
  const accounts = accountsOf(gb);
  const a = await accounts.create("a@example.com");
  const b = await accounts.create("b@example.com");
  const [{ id: adminId }] = await db.sql`SELECT id FROM users WHERE email = ${ADMIN.email}`;
  await seedUsage(db.sql, { users: [a.id, b.id, adminId], calls: 400 });
  const signIn = async (email: string, password: string) => {
    const browser = new Browser(gb.url);
    await browser.signIn(email, password);
    return async (path: string, status = 200) => {
      const res = await browser.fetch(path);
      const html = await res.text();
      assert.equal(res.status, status, `${path}: ${html.slice(0, 300)}`);
      return { doc: parseDoc(html), html, fetch: (p: string) => browser.fetch(p) };
    };
  };
  return {
    db,
    gb,
    a,
    b,
    admin: await signIn(ADMIN.email, ADMIN.password),
    asA: await signIn(a.email, a.password),
    close: async () => {
      await gb.close();
      await db.close();
    },
  };
}

Deno.test({ name: "usage page: every chart's numbers equal the SQL totals", ignore }, async () => {
  const w = await world();
  try {
    const { doc } = await w.admin("/usage");
    assert.equal(
      doc.querySelector("nav.topnav a[aria-current=page]").getAttribute("href"),
      "/usage",
    );
    const tot = await expectAll(w.db.sql, IN_7D, doc);
    assert.ok(tot.calls >= 380 && tot.unpriced > 0, "the period holds the seeded calls");
    // Unpriced cost is its own figure, never $0: a model without a price shows "unknown".
    const free = [...doc.querySelectorAll("#chart-cost-table td[data-series='model-free']")]
      .filter((td: Doc) => td.getAttribute("data-value") === "");
    assert.ok(
      free.length > 0 &&
        free.every((td: Doc) => td.textContent === "–" || td.textContent === "unknown"),
    );
    assert.ok(free.some((td: Doc) => td.textContent === "unknown"));
    assert.ok(!doc.querySelector("#chart-cost svg [data-series='model-free']"), "no $0 bars");

    // All time adds the old calls (weeks or days as the span says); 30 days does not.
    const all = await w.admin("/usage?period=all");
    const [{ n }] = await w.db.sql`SELECT count(*)::int AS n FROM llm_calls`;
    assert.equal(
      all.doc.querySelector("#usage-totals [data-stat=calls] dd").firstChild.textContent,
      String(n),
    );
    await expectAll(
      w.db.sql,
      "started_at > now() - interval '30 days'",
      (await w.admin("/usage?period=30d")).doc,
    );
    const today = await w.admin("/usage?period=today");
    assert.ok(
      today.doc.querySelector("#chart-calls-table tbody tr").getAttribute("data-bucket").endsWith(
        "T00:00:00.000Z",
      ),
    );
  } finally {
    await w.close();
  }
});

Deno.test({
  name: "usage page: filters, owner scope, links to the calls behind each bar, bad filters",
  ignore,
}, async () => {
  const w = await world();
  try {
    const sql = w.db.sql;
    // Model and agent filters (kept in the form), and an admin's user filter.
    const m = await w.admin("/usage?model=model-free&agent=planner");
    await expectAll(
      sql,
      `${IN_7D} AND request_model = 'model-free' AND agent_name = 'planner'`,
      m.doc,
    );
    assert.equal(
      m.doc.querySelector("select[name=model] option[selected]").getAttribute("value"),
      "model-free",
    );
    assert.equal(
      m.doc.querySelector("select[name=agent] option[selected]").getAttribute("value"),
      "planner",
    );
    const u = await w.admin(`/usage?user_id=${w.b.id}`);
    await expectAll(sql, `${IN_7D} AND user_id = '${w.b.id}'`, u.doc);

    // A member sees only their own usage, has no user filter or user ranking, and a filter for
    // someone else matches nothing.
    const mine = await w.asA("/usage");
    await expectAll(sql, `${IN_7D} AND user_id = '${w.a.id}'`, mine.doc);
    assert.ok(!mine.doc.querySelector("select[name=user_id]"));
    assert.ok(!mine.doc.querySelector("#chart-top-users"));
    assert.ok(!mine.html.includes("b@example.com") && !mine.html.includes(ADMIN.email));
    const other = await w.asA(`/usage?user_id=${w.b.id}`);
    assert.equal(
      other.doc.querySelector("#usage-totals [data-stat=calls] dd").firstChild.textContent,
      "0",
    );

    // Each bar leads to exactly its calls on /calls.
    const marks = [...mine.doc.querySelectorAll("#chart-calls svg rect[data-series]")];
    assert.ok(marks.length > 4);
    for (const mark of marks.slice(0, 4)) {
      const href = mark.parentNode.getAttribute("href");
      const list = await w.asA(`${href}&limit=500`);
      const rows = list.doc.querySelectorAll("#calls-table tbody tr");
      assert.equal(rows.length, Number(mark.getAttribute("data-value")), href);
    }
    const conv = mine.doc.querySelector("#chart-top-conversations svg a");
    const top = table(mine.doc, "chart-top-conversations");
    const list = await w.asA(`${conv.getAttribute("href")}&limit=500`);
    assert.equal(
      list.doc.querySelectorAll("#calls-table tbody tr").length,
      [...top.values()][0].get("calls"),
    );

    // Bad filters: a 400 page that says what is wrong, never a 500.
    for (
      const [q, says] of [
        ["period=year", "period must be one of"],
        ["model=a%00b", "control characters"],
        [`agent=${"x".repeat(300)}`, "at most 200"],
        ["user_id=nope", "user id"],
        ["colour=red", "Unknown filter"],
        ["model=%ED%A0%80", ""],
      ]
    ) {
      const res = await w.admin(`/usage?${q}`, says ? 400 : 200);
      if (says) assert.ok(res.html.includes(says), `${q}: ${says}`);
    }
    const bad = await w.admin("/calls?from=yesterday", 400);
    assert.ok(bad.html.includes("from must be an ISO date"));
  } finally {
    await w.close();
  }
});
