/**
 * The chat UI's routes through app.request() (the browser tests cover real HTTP), with a real
 * Postgres and the demo model: the page, the POST /chat stream of HTML fragments (checked message
 * by message with linkedom), the page a finished run renders (the same markup the stream left),
 * hostile text, and bad input.
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { type TestServer, withDemoGlassbox } from "./support/server.ts";
import { applyFragments, assertInert, type Doc, parseDoc } from "./support/dom.ts";
import { parseSse, type SseMessage } from "./support/sse_client.ts";

const ignore = await skipWithoutPostgres();
const HOSTILE = "Hello <script>alert(1)</script> <img src=x onerror=alert(1)>";

interface Chat {
  res: Response;
  msgs: SseMessage[];
  /** The HTML (unnamed) messages, each parsed. */
  frags: Doc[];
}

async function postChat(gb: TestServer, fields: Record<string, string>): Promise<Chat> {
  const res = await gb.glassbox.app.request("/chat", {
    method: "POST",
    // What a browser's htmx post from the page carries (the CSRF check wants it).
    headers: { "hx-request": "true", "sec-fetch-site": "same-origin" },
    body: new URLSearchParams(fields),
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
  const msgs = parseSse(await res.text());
  const frags = msgs.filter((m) => !m.event).map((m) => parseDoc(m.data));
  return { res, msgs, frags };
}

async function getPage(gb: TestServer, path: string): Promise<Doc> {
  const res = await gb.glassbox.app.request(path);
  assert.equal(res.status, 200, path);
  assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
  return parseDoc(await res.text());
}

/** Ids that a message targets: hx-swap-oob elements (by id) and hx-partial targets. */
function targets(frag: Doc): string[] {
  return [
    ...[...frag.querySelectorAll("[hx-swap-oob]")].map((el: Doc) => el.id),
    ...[...frag.querySelectorAll("hx-partial")].map((p: Doc) =>
      p.getAttribute("hx-target").replace(/^#/, "")
    ),
  ];
}
const idsIn = (doc: Doc): string[] => [...doc.querySelectorAll("[id]")].map((el: Doc) => el.id);

/** The last element with this id that the stream sent (oob copy), without its hx-swap-oob. */
function lastSent(frags: Doc[], id: string): string {
  for (const f of frags.toReversed()) {
    const el = f.getElementById(id);
    if (!el) continue;
    el.removeAttribute("hx-swap-oob");
    return el.outerHTML;
  }
  assert.fail(`the stream never sent #${id}`);
}

Deno.test(
  { name: "GET / renders the chat page with versioned, cached assets", ignore },
  () =>
    withDemoGlassbox(async (gb) => {
      const d = await getPage(gb, "/");
      for (const sel of ["header", "nav[aria-label]", "main#main", "aside[aria-label]"]) {
        assert.ok(d.querySelector(sel), `landmark ${sel}`);
      }
      const form = d.querySelector("form#chat-form");
      assert.equal(form.getAttribute("hx-post"), "/chat");
      assert.equal(d.querySelector("label[for=message]").textContent, "Your question");
      assert.ok(form.querySelector("textarea#message[name=message]"));
      assert.equal(d.querySelector("#status-line").getAttribute("aria-live"), "polite");
      assert.match(d.querySelector(".badge-demo").textContent, /Demo model/);
      assert.equal(d.querySelector("#send-button").hasAttribute("disabled"), false);
      assert.equal(d.querySelector("#stop-button"), null);

      const urls = [
        ...[...d.querySelectorAll("link[rel=stylesheet]")].map((l: Doc) => l.getAttribute("href")),
        ...[...d.querySelectorAll("script[src]")].map((s: Doc) => s.getAttribute("src")),
      ];
      assert.equal(urls.length, 4, `css, htmx, sse, page script: ${urls}`);
      for (const url of urls) {
        assert.match(url, /^\/assets\/[a-z-]+-[0-9a-f.]+(\.min)?\.(js|css)$/, "versioned URL");
        const res = await fetch(gb.url + url);
        await res.body?.cancel();
        assert.equal(res.status, 200, url);
        assert.match(res.headers.get("cache-control") ?? "", /max-age=31536000.*immutable/, url);
      }
    }),
);

Deno.test(
  { name: "POST /chat streams valid fragments; the page renders the same", ignore },
  () =>
    withDemoGlassbox(async (gb) => {
      const before = await getPage(gb, "/");
      const { res, msgs, frags } = await postChat(gb, { message: "What is 17 * 23?" });

      // First message: the user bubble, the composer busy with Stop wired to this run.
      const first = frags[0];
      const turn = first.querySelector("hx-partial[hx-target='#transcript'] article.turn");
      assert.ok(turn, "the new turn is appended to the transcript");
      const runId = turn.id.replace(/^turn-/, "");
      assert.equal(turn.querySelector(".bubble-user .bubble-text").textContent, "What is 17 * 23?");
      const stop = first.querySelector("#composer-controls[hx-swap-oob] #stop-button");
      assert.equal(stop?.getAttribute("hx-post"), `/runs/${runId}/cancel`);
      assert.equal(first.querySelector("#send-button").hasAttribute("disabled"), true);
      const conversationId = first.querySelector("#conversation-id").getAttribute("value");
      assert.equal(res.headers.get("hx-replace-url"), `/c/${conversationId}`);

      // The end: terminal fragments, then a named done event carrying the run id.
      assert.deepEqual(msgs.at(-1), { event: "done", data: runId });
      assert.equal(msgs.filter((m) => m.event).length, 1, "only one named event");
      const last = frags.at(-1);
      assert.equal(last.querySelector("#run-state").textContent, "Completed");
      assert.ok(last.querySelector("#usage[hx-swap-oob]").matches("dl"), "usage totals");
      assert.equal(last.querySelector("#stop-button"), null);
      assert.equal(last.querySelector("#send-button").hasAttribute("disabled"), false);
      assert.equal(last.querySelector("#connection").getAttribute("data-state"), "ended");
      assert.match(last.querySelector(`#answer-${runId}-body`).textContent, /17 \* 23 = 391/);
      // Every run event message carries its event id, increasing.
      const eventIds = msgs.slice(1, -1).map((m) => Number(m.id));
      assert.ok(
        eventIds.every((n, i) => n > 0 && (i === 0 || n > eventIds[i - 1])),
        "ids increase",
      );

      // Every target exists: live (applying the stream to the page it was sent from, like htmx)…
      const live = before;
      frags.forEach((f, i) => {
        const { missing } = applyFragments(live, f.body.innerHTML);
        assert.deepEqual(missing, [], `message ${i}: targets missing from the page`);
      });
      // …and in the page of the finished conversation or an earlier fragment.
      const page = await getPage(gb, `/c/${conversationId}`);
      const known = new Set(idsIn(page));
      frags.forEach((f, i) => {
        for (const id of targets(f)) {
          assert.ok(known.has(id), `message ${i} targets unknown #${id}`);
        }
        idsIn(f).forEach((id) => known.add(id));
      });

      // Each finished LLM call in the tree links to everything recorded about it.
      const links = [...page.querySelectorAll("#run-tree li.node-llm a.node-link")]
        .map((a) => a.getAttribute("href"));
      assert.equal(links.length, 4, "one link per LLM call");
      const detail = await fetch(gb.url + links[0]);
      assert.equal(detail.status, 200);
      assert.match(await detail.text(), /glassbox-demo/);

      // The page renders exactly what the stream's last update of an element sent.
      const llmHead = [...page.querySelectorAll("#run-tree li.node-llm > .node-head")].at(-1);
      const agentRow = page.querySelector("#agent-status .agent-state");
      for (const id of [llmHead.id, "progress", agentRow.id, "usage", "run-state"]) {
        assert.equal(page.getElementById(id).outerHTML, lastSent(frags, id), `#${id}`);
      }
      // The whole live tree equals the page's: same nodes, same order, same markup.
      assert.equal(
        page.getElementById("run-tree").outerHTML,
        live.getElementById("run-tree").outerHTML,
      );
      assert.equal(
        page.querySelectorAll("#run-tree .node-tool").length,
        2,
        "ask_utility, calculator",
      );
      assert.equal(page.querySelectorAll("#run-tree .node-llm").length, 4);
    }),
);

Deno.test(
  { name: "hostile text is escaped in every fragment and in the page", ignore },
  () =>
    withDemoGlassbox(async (gb) => {
      const { frags, res } = await postChat(gb, { message: HOSTILE });
      frags.forEach((f, i) => assertInert(f, `message ${i}`));
      const all = frags.map((f) => f.body.innerHTML).join("");
      assert.ok(all.includes("&lt;script&gt;alert(1)&lt;/script&gt;"), "escaped script tag sent");

      const page = await getPage(gb, res.headers.get("hx-replace-url")!);
      assertInert(page, "page");
      const turn = page.querySelector("#transcript article.turn");
      assert.equal(turn.querySelector(".bubble-user .bubble-text").textContent, HOSTILE);
      assert.ok(
        turn.querySelector(".bubble-assistant .answer-body").textContent.includes(`“${HOSTILE}”`),
        "the model's echo shows the text literally",
      );
      assert.ok(
        page.querySelector("#chat-title").textContent.includes("<script>"),
        "title as text",
      );
      const home = await getPage(gb, "/");
      assertInert(home, "home page");
      assert.ok(home.querySelector("#conversation-list").textContent.includes("<img src=x"));
    }),
);

Deno.test(
  { name: "bad input: error fragments and 404s", ignore },
  () =>
    withDemoGlassbox(async (gb) => {
      const unknown = crypto.randomUUID();
      const bad: Record<string, string>[] = [
        { message: "   " },
        { message: "hi", conversation_id: unknown },
        { message: "hi", conversation_id: "not-a-uuid" },
      ];
      for (const fields of bad) {
        const { msgs, frags } = await postChat(gb, fields);
        assert.equal(msgs.length, 1, JSON.stringify(fields));
        const notice = frags[0].querySelector("hx-partial[hx-target='#transcript'] .notice-error");
        assert.ok(notice, `an error notice for ${JSON.stringify(fields)}`);
        assert.match(notice.textContent, /Could not send/);
        assert.equal(frags[0].querySelector("#send-button").hasAttribute("disabled"), false);
      }

      const res = await fetch(`${gb.url}/c/${unknown}`);
      assert.equal(res.status, 404);
      assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
      assert.match(parseDoc(await res.text()).querySelector("main h1").textContent, /Not found/);

      for (const path of [`/runs/${unknown}/events`, "/c/nope"]) {
        const r = await fetch(gb.url + path);
        await r.body?.cancel();
        assert.equal(r.status, 404, path);
      }
    }),
);
