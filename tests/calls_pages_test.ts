/**
 * The LLM calls pages over real HTTP with a real Postgres: GET /calls (totals, breakdowns, the
 * list, its filters and keyset pagination, 400 pages for bad filters) and GET /calls/:id (the
 * whole call, hostile text escaped, 404s), with the demo model (priced at 0) and with a scripted
 * model that has no price (cost "unknown", never $0).
 */
import assert from "node:assert/strict";
import { getLlmCall } from "../db/llm_calls.ts";
import { formatInt, formatTokens } from "../views/common/format.ts";
import { assertInert, type Doc, parseDoc } from "./support/dom.ts";
import { skipWithoutPostgres } from "./support/db.ts";
import { postJson, startStack, type TestServer, withDemoGlassbox } from "./support/server.ts";
import { accountsOf } from "./support/users.ts";
import { ALL } from "../db/owner.ts";

const ignore = await skipWithoutPostgres();
const HOSTILE = "<script>alert(1)</script>";
const QUESTION = "What is 17 * 23?";

interface ChatResult {
  run_id: string;
  conversation_id: string;
  status: string;
  usage: { llm_calls: number; input_tokens: number; output_tokens: number };
}

/** A chat as the local user, or as the user of `headers` (an API key). */
async function chat(
  gb: TestServer,
  body: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<ChatResult> {
  const res = await postJson(`${gb.url}/api/v1/chat`, body, headers);
  assert.equal(res.status, 200, `chat ${JSON.stringify(body)}`);
  return await res.json();
}

async function page(gb: TestServer, path: string, status = 200): Promise<Doc> {
  const res = await fetch(gb.url + path);
  assert.equal(res.status, status, path);
  assert.match(res.headers.get("content-type") ?? "", /^text\/html/, path);
  return parseDoc(await res.text());
}

interface Row {
  id: string;
  time: string;
  agent: string;
  model: string;
  status: string;
  badge: string;
  cost: string;
  costUnknown: boolean;
  detail: string;
  chat: string | null;
  run: string | null;
  errorType: string | null;
}

function rows(doc: Doc): Row[] {
  return [...doc.querySelectorAll("#calls-table tbody tr")].map((tr: Doc) => ({
    id: tr.getAttribute("data-call-id"),
    time: tr.querySelector("time").getAttribute("datetime"),
    agent: tr.querySelector(".cell-agent").textContent,
    model: tr.querySelector(".cell-model").textContent,
    status: tr.querySelector(".cell-status .badge").textContent,
    badge: tr.querySelector(".cell-status .badge").getAttribute("class"),
    cost: tr.querySelector(".cell-cost").textContent,
    costUnknown: tr.querySelector(".cell-cost").classList.contains("unknown"),
    detail: tr.querySelector("a.link-detail").getAttribute("href"),
    chat: tr.querySelector("a.link-chat")?.getAttribute("href") ?? null,
    run: tr.querySelector("a.link-run")?.getAttribute("href") ?? null,
    errorType: tr.querySelector(".cell-error")?.textContent ?? null,
  }));
}

/** A totals figure without its note. */
function stat(doc: Doc, name: string): string {
  const dd = doc.querySelector(`#calls-totals [data-stat=${name}] dd`);
  assert.ok(dd, `stat ${name}`);
  return dd.firstChild.textContent;
}

/** A fact on the detail page. */
function fact(doc: Doc, name: string): string {
  const dd = doc.querySelector(`[data-fact=${name}] dd`);
  assert.ok(dd, `fact ${name}`);
  return dd.textContent;
}

/** Rows of a breakdown table as [name, calls, cost]. */
function breakdown(doc: Doc, id: string): string[][] {
  return [...doc.querySelectorAll(`#${id} tbody tr`)].map((tr: Doc) => [
    tr.querySelector("th").textContent,
    tr.querySelectorAll("td")[0].textContent,
    tr.querySelectorAll("td")[3].textContent,
  ]);
}

const count = (xs: string[]) =>
  xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());

Deno.test(
  { name: "GET /calls: totals, breakdowns and every call of two chats, newest first", ignore },
  () =>
    withDemoGlassbox(async (gb) => {
      const ada = await accountsOf(gb).create("ada@example.com");
      const a = await chat(gb, { message: QUESTION });
      const b = await chat(gb, { message: QUESTION }, await ada.bearer());
      assert.equal(a.usage.llm_calls, 4);
      assert.equal(b.usage.llm_calls, 4);

      const home = await page(gb, "/");
      assert.ok(home.querySelector("header a[href='/calls']"), "the chat page links here");

      const doc = await page(gb, "/calls");
      assert.equal(doc.querySelector("title").textContent, "LLM calls · Glassbox");
      assert.equal(
        doc.querySelector("nav.topnav a[aria-current=page]").getAttribute("href"),
        "/calls",
      );
      const r = rows(doc);
      assert.equal(r.length, 8);
      assert.equal(new Set(r.map((x) => x.id)).size, 8, "each call once");
      assert.deepEqual(
        [...count(r.map((x) => x.agent))].sort(),
        [["glassbox", 4], ["utility", 4]],
      );
      assert.ok(r.every((x) => x.model === "glassbox-demo"), "request = response model: one name");
      assert.ok(r.every((x) => x.status === "ok" && /\bbadge-ok\b/.test(x.badge)), "ok badges");
      assert.ok(r.every((x) => x.cost === "$0.00" && !x.costUnknown), "priced at 0");
      assert.ok(r.every((x) => x.detail === `/calls/${x.id}`));
      const times = r.map((x) => x.time);
      assert.deepEqual(times, times.toSorted().toReversed(), "newest first");
      // The newest four are the second chat's, with links to its conversation and run.
      assert.ok(r.slice(0, 4).every((x) => x.chat === `/c/${b.conversation_id}`));
      assert.ok(r.slice(4).every((x) => x.chat === `/c/${a.conversation_id}`));
      assert.ok(r.slice(4).every((x) => x.run === `/calls?run_id=${a.run_id}`));

      assert.equal(stat(doc, "calls"), "8");
      assert.equal(stat(doc, "cost"), "$0.00");
      assert.equal(stat(doc, "input"), formatTokens(a.usage.input_tokens + b.usage.input_tokens));
      assert.equal(
        stat(doc, "output"),
        formatTokens(a.usage.output_tokens + b.usage.output_tokens),
      );
      for (const s of ["errors", "timeouts", "cancelled"]) assert.equal(stat(doc, s), "0", s);
      assert.match(stat(doc, "latency"), /\d (ms|s)$/);
      assert.match(stat(doc, "ttft"), /\d (ms|s)$/);
      assert.deepEqual(breakdown(doc, "breakdown-model"), [["glassbox-demo", "8", "$0.00"]]);
      assert.deepEqual(breakdown(doc, "breakdown-agent"), [
        ["glassbox", "4", "$0.00"],
        ["utility", "4", "$0.00"],
      ]);
      assert.equal(
        doc.querySelector("#breakdown-model tbody a").getAttribute("href"),
        "/calls?model=glassbox-demo",
      );
      assert.match(doc.querySelector("#calls-table tfoot").textContent, /8 calls.*\$0\.00/);
      assert.ok(!doc.querySelector("main").textContent.includes("unknown"), "nothing unknown");
      assert.equal(doc.querySelector("#calls-empty"), null);
      assert.equal(doc.querySelector("a[rel=next]"), null, "one page");
      assertInert(doc, "/calls");
    }),
);

Deno.test(
  {
    name: "GET /calls: filters narrow the list; pagination walks it; bad filters are 400s",
    ignore,
  },
  () =>
    withDemoGlassbox(async (gb) => {
      const adaUser = await accountsOf(gb).create("ada@example.com");
      const a = await chat(gb, { message: QUESTION });
      const b = await chat(gb, { message: QUESTION }, await adaUser.bearer());
      const all = rows(await page(gb, "/calls")).map((x) => x.id);
      assert.equal(all.length, 8);

      // Status: nothing failed, so an empty list with a message; totals stay the period's.
      const errors = await page(gb, "/calls?status=error");
      assert.equal(rows(errors).length, 0);
      assert.match(errors.querySelector("#calls-empty").textContent, /No calls match/);
      assert.equal(errors.querySelector("select[name=status] option[selected]").value, "error");
      assert.equal(stat(errors, "calls"), "8");
      assert.match(errors.querySelector(".calls-note").textContent, /narrow the list/);

      const run = await page(gb, `/calls?run_id=${a.run_id}`);
      assert.equal(rows(run).length, 4);
      assert.ok(rows(run).every((x) => x.chat === `/c/${a.conversation_id}`));
      assert.equal(run.querySelector("input[name=run_id]").getAttribute("value"), a.run_id);

      // The admin's user filter: a select of everyone, by email.
      const ada = await page(gb, `/calls?user_id=${adaUser.id}`);
      assert.deepEqual(rows(ada).map((x) => x.id), all.slice(0, 4));
      assert.equal(stat(ada, "calls"), "4", "totals follow the user");
      assert.equal(ada.querySelector("select[name=user_id] option[selected]").value, adaUser.id);
      assert.match(ada.querySelector("#h-totals").textContent, /user ada@example\.com/);

      assert.equal(rows(await page(gb, "/calls?model=glassbox-demo")).length, 8);
      assert.equal(rows(await page(gb, "/calls?model=gpt-4o")).length, 0);
      const week = await page(gb, "/calls?period=7d&status=ok");
      assert.equal(rows(week).length, 8);
      assert.equal(week.querySelector("select[name=period] option[selected]").value, "7d");
      // What the form sends with nothing chosen: every field, empty.
      const form = await page(gb, "/calls?period=all&status=&model=&user_id=&run_id=");
      assert.equal(rows(form).length, 8);
      const f = form.querySelector("form.calls-filters");
      assert.equal(f.getAttribute("method"), "get");
      assert.equal(f.getAttribute("action"), "/calls");

      // Pagination: "Older →" until the end, every call once, in the same order.
      const walk = async (start: string) => {
        const pages: string[][] = [];
        let next: string | null = start;
        while (next) {
          const d = await page(gb, next);
          pages.push(rows(d).map((x) => x.id));
          next = d.querySelector("a[rel=next]")?.getAttribute("href") ?? null;
          if (pages.length > 1) {
            assert.ok(d.querySelector("a[rel=first]"), "a way back to the newest");
          }
          assert.ok(pages.length < 10, "pagination ends");
        }
        return pages;
      };
      const pages = await walk("/calls?limit=3");
      assert.deepEqual(pages.map((p) => p.length), [3, 3, 2]);
      assert.deepEqual(pages.flat(), all, "no repeats, nothing skipped");
      const runPages = await walk(`/calls?limit=3&run_id=${b.run_id}`);
      assert.deepEqual(runPages.map((p) => p.length), [3, 1], "filters kept across pages");
      assert.deepEqual(runPages.flat(), all.slice(0, 4));

      const bad: [string, RegExp][] = [
        ["status=weird", /status must be one of ok, error, cancelled, timeout.*weird/],
        ["period=year", /period must be one of today, 7d, 30d, all/],
        ["limit=0", /limit must be a whole number from 1 to 500/],
        ["limit=501", /limit must be a whole number/],
        ["limit=ten", /limit must be a whole number/],
        ["run_id=nope", /run_id must be a run id/],
        ["user_id=ada", /user_id must be a user id/],
        ["cursor=garbage", /cursor/i],
        ["colour=red", /Unknown filter “colour”/],
        ["from=yesterday", /from must be an ISO date or time/],
        ["agent=a%00b", /agent must not contain control characters/],
      ];
      for (const [query, message] of bad) {
        const d = await page(gb, `/calls?${query}`, 400);
        assert.match(d.querySelector("main h1").textContent, /Can't show these calls/, query);
        assert.match(d.querySelector("main .notice-error").textContent, message, query);
        assert.ok(d.querySelector("main a[href='/calls']"), `${query}: a way back`);
      }
    }),
);

Deno.test(
  { name: "GET /calls/:id: the whole call, the prompt escaped; 404 for unknown ids", ignore },
  () =>
    withDemoGlassbox(async (gb) => {
      const sql = gb.glassbox.deps.db.sql;
      const math = await chat(gb, { message: QUESTION });
      const mallory = await accountsOf(gb).create("mallory@example.com");
      const hostile = await chat(gb, { message: HOSTILE }, await mallory.bearer());
      const hostileRows = rows(await page(gb, `/calls?run_id=${hostile.run_id}`));
      assert.ok(hostileRows.length >= 1);

      // The first call of the hostile run: the question as text, never as an element.
      const firstId = hostileRows.at(-1)!.id;
      const res = await fetch(`${gb.url}/calls/${firstId}`);
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"), "escaped in the HTML");
      const first = parseDoc(html);
      assertInert(first, "detail page");
      const user = first.querySelector("#call-prompt li[data-role=user] pre");
      assert.equal(user.textContent, HOSTILE);
      const row = (await getLlmCall(sql, firstId, ALL))!;
      assert.equal(fact(first, "id"), firstId);
      assert.equal(fact(first, "input_tokens"), formatInt(row.inputTokens));
      assert.equal(fact(first, "output_tokens"), formatInt(row.outputTokens));
      assert.equal(fact(first, "user_id"), "mallory@example.com");
      assert.equal(fact(first, "agent_name"), "glassbox");
      assert.equal(fact(first, "request_model"), "glassbox-demo");
      assert.equal(fact(first, "span_id"), row.spanId);
      assert.equal(fact(first, "cost"), "$0.00");
      assert.equal(
        first.querySelector("[data-fact=conversation_id] a").getAttribute("href"),
        `/c/${hostile.conversation_id}`,
      );
      assert.equal(
        first.querySelector("[data-fact=run_id] a").getAttribute("href"),
        `/calls?run_id=${hostile.run_id}`,
      );
      assert.equal(first.querySelector(".call-head .badge").textContent, "ok");
      assert.equal(first.querySelector("#call-error"), null);
      assert.equal(
        first.querySelectorAll("#call-prompt > li").length,
        row.prompt!.length,
        "every prompt message",
      );
      assert.deepEqual(
        JSON.parse(first.querySelector("#call-params").textContent),
        row.requestParams,
      );

      // The last call of the run answers with text: shown verbatim (and inert).
      const lastId = hostileRows[0].id;
      const last = await page(gb, `/calls/${lastId}`);
      assertInert(last, "last call");
      const answer = (await getLlmCall(sql, lastId, ALL))!.response;
      assert.ok(answer, "the final call has a response");
      assert.equal(last.querySelector("#call-response").textContent, answer);

      // A sub-agent's call: tool definitions, its tool call (arguments parsed), parent span link.
      const mathRows = rows(await page(gb, `/calls?run_id=${math.run_id}`)).toReversed();
      assert.deepEqual(mathRows.map((x) => x.agent), [
        "glassbox",
        "utility",
        "utility",
        "glassbox",
      ]);
      const sub = await page(gb, mathRows[1].detail);
      const tools = [...sub.querySelectorAll("#call-tool-definitions summary code")].map((
        c: Doc,
      ) => c.textContent);
      assert.deepEqual(tools.toSorted(), ["calculator", "clock"]);
      const toolCalls = JSON.parse(sub.querySelector("#call-tool-calls").textContent);
      assert.equal(toolCalls[0].name, "calculator");
      assert.deepEqual(toolCalls[0].arguments, { expression: "17 * 23" });
      assert.equal(
        sub.querySelector("[data-fact=parent_span_id] a").getAttribute("href"),
        `/calls/${mathRows[0].id}`,
      );
      assert.equal(sub.querySelectorAll("#run-calls tbody tr").length, 4);
      assert.equal(sub.querySelectorAll("#run-calls tbody tr[aria-current]").length, 1);
      // The sub-agent's second call was sent the calculator's result as a tool message.
      const subSecond = await page(gb, mathRows[2].detail);
      assert.equal(
        subSecond.querySelector("#call-prompt li[data-role=tool] pre").textContent,
        "17 * 23 = 391",
      );

      for (const id of [crypto.randomUUID(), "nope", "00000000-0000-0000-0000-00000000000g"]) {
        const d = await page(gb, `/calls/${id}`, 404);
        assert.match(d.querySelector("main h1").textContent, /Not found/);
      }
    }),
);

Deno.test(
  { name: "a model without a price: cost unknown, never $0; an error call is flagged", ignore },
  async () => {
    const { gb, close } = await startStack(
      { GLASSBOX_MODEL: "unpriced-model", GLASSBOX_LLM_MAX_ATTEMPTS: "1" },
      [
        { kind: "status", status: 500 },
        { kind: "text", chunks: ["Hello", " there"], model: "unpriced-model-2025-01-01" },
      ],
    );
    try {
      const failed = await postJson(`${gb.url}/api/v1/chat`, { message: "first" });
      assert.equal(failed.status, 502);
      await failed.body?.cancel();
      const ok = await chat(gb, { message: HOSTILE });
      assert.equal(ok.status, "succeeded");

      const doc = await page(gb, "/calls");
      const [answered, errored] = rows(doc);
      assert.equal(rows(doc).length, 2);
      assert.equal(answered.model, "unpriced-model→unpriced-model-2025-01-01");
      assert.equal(answered.cost, "unknown");
      assert.ok(answered.costUnknown);
      assert.equal(errored.status, "error");
      assert.match(errored.badge, /\bbadge-error\b/);
      assert.ok(errored.errorType, "the error type is shown");
      assert.equal(errored.cost, "unknown");

      assert.equal(stat(doc, "calls"), "2");
      assert.equal(stat(doc, "cost"), "unknown");
      assert.equal(stat(doc, "errors"), "1");
      assert.ok(doc.querySelector("[data-stat=errors]").classList.contains("stat-bad"));
      assert.deepEqual(breakdown(doc, "breakdown-model"), [["unpriced-model", "2", "unknown"]]);
      assert.ok(!doc.querySelector("main").textContent.includes("$"), "no dollar figure at all");
      assert.match(doc.querySelector("#calls-table tfoot").textContent, /unknown/);

      assert.deepEqual(rows(await page(gb, "/calls?status=error")).map((x) => x.id), [errored.id]);

      const detail = await page(gb, answered.detail);
      assert.match(fact(detail, "cost"), /^unknown/);
      assert.equal(fact(detail, "response_model"), "unpriced-model-2025-01-01");
      assert.equal(detail.querySelector("#call-response").textContent, "Hello there");
      assert.equal(
        detail.querySelector("#call-prompt li[data-role=user] pre").textContent,
        HOSTILE,
      );
      assertInert(detail, "unpriced detail");

      const error = await page(gb, errored.detail);
      assert.match(error.querySelector("#call-error").textContent, /500/);
      assert.equal(error.querySelector(".call-head .badge").textContent, "error");
      assert.equal(fact(error, "error_type"), errored.errorType);
    } finally {
      await close();
    }
  },
);
