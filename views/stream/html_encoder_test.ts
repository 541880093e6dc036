import assert from "node:assert/strict";
import { EventType, type RunEvent } from "../../agents/spine/events.ts";
import { foldRun } from "../run/fold.ts";
import { LlmHead } from "../chat/fragments.tsx";
import { ids } from "../run/dom_ids.ts";
import { ChatPage } from "../chat/page.tsx";
import {
  chatErrorFragments,
  chatStartFragments,
  chatStartHtml,
  eventHtml,
  htmlEncoder,
} from "./html_encoder.tsx";
import * as td from "../../tests/support/sample_runs.ts";
import { applyFragments, attributeNames, outer, parseDoc } from "../../tests/support/dom.ts";
import { parseSse } from "../../tests/support/sse_client.ts";

const ok = td.successRun();
const find = (evs: RunEvent[], pred: (e: RunEvent["event"]) => boolean) =>
  evs.find((e) => pred(e.event))!;
const customOf = (name: string, nth = 0) =>
  ok.filter((e) => e.event.type === EventType.CUSTOM && e.event.name === name)[nth];
const fragDoc = (ev: RunEvent) => parseDoc(eventHtml(ev)!);

Deno.test("each event is one unnamed SSE message with its id; terminal adds a named done", () => {
  for (const ev of [...ok, ...td.failedRun(), ...td.cancelledRun()]) {
    const bytes = htmlEncoder(ev);
    if (bytes === null) continue;
    const msgs = parseSse(bytes);
    const terminal = ev.event.type === EventType.RUN_FINISHED ||
      ev.event.type === EventType.RUN_ERROR;
    assert.equal(msgs.length, terminal ? 2 : 1);
    assert.equal(msgs[0].id, String(ev.id));
    assert.equal(msgs[0].event, undefined);
    assert.equal(msgs[0].data, eventHtml(ev));
    if (terminal) assert.deepEqual(msgs[1], { event: "done", data: ev.runId });
  }
});

Deno.test("events with nothing to show encode to null", () => {
  const quiet = ok.filter((e) =>
    [EventType.STEP_STARTED, EventType.STEP_FINISHED, EventType.TEXT_MESSAGE_END].includes(
      e.event.type,
    )
  );
  assert.ok(quiet.length >= 3);
  for (const ev of quiet) assert.equal(htmlEncoder(ev), null);
});

Deno.test("multi-line HTML becomes several data: lines that rejoin exactly", () => {
  const ev: RunEvent = {
    ...ok[0],
    event: { type: EventType.TEXT_MESSAGE_CONTENT, messageId: "m", delta: "a\nb\r\nc" },
  };
  const text = new TextDecoder().decode(htmlEncoder(ev)!);
  assert.match(text, /^id: \d+\ndata: .*a\ndata: b\ndata: c.*\n\n$/s);
  assert.equal(parseSse(text)[0].data, eventHtml(ev)!.replace(/\r\n/g, "\n"));
});

Deno.test("appends: answer deltas, tree children and log rows go through hx-partial beforeend", () => {
  const delta = find(ok, (e) => e.type === EventType.TEXT_MESSAGE_CONTENT && !e.subagentRunId);
  let p = fragDoc(delta).querySelector("hx-partial");
  assert.equal(p.getAttribute("hx-target"), `#${ids.message("msg-answer")}`);
  assert.equal(p.getAttribute("hx-swap"), "beforeend");

  const llm = fragDoc(customOf("glassbox.llm_call_started"));
  p = llm.querySelector("hx-partial");
  assert.equal(p.getAttribute("hx-target"), "#node-agent-root-run-ok-children");
  assert.ok(p.querySelector("li#node-llm-span-root-1 > #node-llm-span-root-1-head"));
  assert.ok(p.querySelector("li#node-llm-span-root-1 > ul#node-llm-span-root-1-children"));

  const tool = fragDoc(find(ok, (e) => e.type === EventType.TOOL_CALL_START));
  p = tool.querySelector("hx-partial");
  assert.equal(p.getAttribute("hx-target"), "#node-llm-span-root-1-children");
  assert.ok(p.querySelector("li#node-tool-tc-ask pre#node-tool-tc-ask-args"));

  const sub = fragDoc(find(ok, (e) => e.type === EventType.SUBAGENT_STARTED));
  p = sub.querySelector("hx-partial");
  assert.equal(p.getAttribute("hx-target"), "#node-tool-tc-ask-children");
  assert.ok(p.querySelector(`li#${ids.agentNode(td.SUB)}`));

  const subLlm = fragDoc(customOf("glassbox.llm_call_started", 1)).querySelector("hx-partial");
  assert.equal(subLlm.getAttribute("hx-target"), `#${ids.agentNode(td.SUB)}-children`);

  const log = fragDoc(customOf("glassbox.log")).querySelector("hx-partial");
  assert.equal(log.getAttribute("hx-target"), "#log-list");
  assert.ok(log.querySelector("li.log-row.level-info time[datetime]"));
});

Deno.test("in-place updates: heads, progress, agent rows use hx-swap-oob", () => {
  const fin = fragDoc(customOf("glassbox.llm_call_finished"));
  const head = fin.querySelector("[hx-swap-oob]");
  assert.equal(head.id, "node-llm-span-root-1-head");
  assert.equal(head.getAttribute("hx-swap-oob"), "true");
  assert.equal(fin.querySelector("hx-partial"), null);

  const prog = fragDoc(customOf("glassbox.progress", 2));
  const bar = prog.getElementById("progress");
  assert.equal(bar.getAttribute("hx-swap-oob"), "true");
  const track = bar.querySelector("progress");
  assert.equal(track.getAttribute("value"), "50");
  assert.match(bar.textContent, /Step 3\/6/);
  assert.equal(prog.getElementById("status-line").getAttribute("hx-swap-oob"), "innerHTML");

  const status = fragDoc(customOf("glassbox.agent_status", 2)); // usage_analyst starting
  assert.equal(
    status.getElementById("agent-row-usage_analyst-state").getAttribute("hx-swap-oob"),
    "true",
  );
  assert.ok(status.getElementById(`${ids.agentNode(td.SUB)}-status`));

  const end = fragDoc(find(ok, (e) => e.type === EventType.TOOL_CALL_END));
  assert.equal(end.getElementById("node-tool-tc-ask-status").textContent, "running");
});

Deno.test("the stream sends the same markup the page renders (head, progress, agent row)", () => {
  const page = parseDoc(ChatPage(pageProps(ok, undefined)));
  const fin = customOf("glassbox.llm_call_finished", 2);
  const streamed = fragDoc(fin).getElementById("node-llm-span-sub-2-head");
  streamed.removeAttribute("hx-swap-oob");
  assert.equal(streamed.outerHTML, outer(page, "node-llm-span-sub-2-head"));
  const first = foldRun(ok).tree.children[0];
  assert.equal(first.kind, "llm");
  if (first.kind !== "llm") return;
  const direct = parseDoc(String(LlmHead({ call: first.call })));
  assert.equal(
    outer(direct, "node-llm-span-root-1-head"),
    outer(page, "node-llm-span-root-1-head"),
  );

  const lastProgress = fragDoc(customOf("glassbox.progress", 5)).getElementById("progress");
  lastProgress.removeAttribute("hx-swap-oob");
  assert.equal(lastProgress.outerHTML, outer(page, "progress"));

  const lastStatus = fragDoc(customOf("glassbox.agent_status", 5)).getElementById(
    "agent-row-glassbox-state",
  );
  lastStatus.removeAttribute("hx-swap-oob");
  assert.equal(lastStatus.outerHTML, outer(page, "agent-row-glassbox-state"));
});

function pageProps(events: RunEvent[], activeRunId: string | undefined) {
  const run = { ...foldRun(events), status: activeRunId ? "running" : "succeeded" };
  return {
    conversations: [],
    current: { id: td.CONVERSATION_ID, title: "t", turns: [{ userMessage: "q", run }] },
    activeRunId,
    ...td.CHROME,
  };
}

for (
  const [name, run] of [["success", ok], ["failed", td.failedRun()], [
    "cancelled",
    td.cancelledRun(),
  ]] as const
) {
  Deno.test(`${name}: page + chat start + every fragment == page rendered from the fold`, () => {
    const runId = run[0].runId;
    const doc = parseDoc(
      ChatPage({ conversations: [], ...td.CHROME }),
    );
    const applied = applyFragments(
      doc,
      chatStartHtml({ runId, conversationId: "c", userMessage: "q" }),
    );
    for (const ev of run) applyFragments(doc, eventHtml(ev) ?? "", applied);
    assert.deepEqual(applied.missing, []);
    const want = parseDoc(ChatPage(pageProps(run, undefined)));
    for (
      const id of [
        "run-tree",
        "agent-status",
        "progress",
        "usage",
        "log-list",
        "run-state",
        "composer-controls",
      ]
    ) {
      assert.ok(outer(want, id), id);
      assert.equal(outer(doc, id), outer(want, id), id);
    }
    assert.equal(outer(doc, ids.answerBody(runId)), outer(want, ids.answerBody(runId)));
    assert.equal(outer(doc, ids.answerFoot(runId)), outer(want, ids.answerFoot(runId)));
  });
}

Deno.test("re-attach: a page folded at event N plus events after N ends like the full fold", () => {
  const n = 20;
  const doc = parseDoc(ChatPage(pageProps(ok.slice(0, n), "run-ok")));
  const conn = doc.querySelector("[hx-sse\\:connect]");
  assert.equal(conn.getAttribute("hx-sse:connect"), `/runs/run-ok/events?after=${ok[n - 1].id}`);
  assert.equal(conn.getAttribute("hx-sse:close"), "done");
  const applied = { missing: [] as string[] };
  for (const ev of ok.slice(n)) applyFragments(doc, eventHtml(ev) ?? "", applied);
  assert.deepEqual(applied.missing, []);
  const want = parseDoc(ChatPage(pageProps(ok, undefined)));
  assert.equal(outer(doc, "run-tree"), outer(want, "run-tree"));
  assert.equal(outer(doc, ids.answerBody("run-ok")), outer(want, ids.answerBody("run-ok")));
});

Deno.test("terminal: final answer as Markdown, composer idle, usage, connection ended", () => {
  const fin = fragDoc(ok.at(-1)!);
  assert.ok(fin.getElementById("answer-run-ok-body").querySelector(".md strong"));
  const controls = fin.getElementById("composer-controls");
  assert.equal(controls.querySelector("#send-button").hasAttribute("disabled"), false);
  assert.equal(controls.querySelector("#stop-button"), null);
  assert.match(fin.getElementById("usage").textContent, /unknown/);
  assert.equal(fin.getElementById("connection").getAttribute("data-state"), "ended");
  assert.equal(fin.getElementById("run-state").textContent, "Completed");

  const failed = fragDoc(td.failedRun().at(-1)!);
  assert.equal(failed.getElementById("answer-run-failed-body"), null, "keeps streamed text");
  assert.match(failed.getElementById("answer-run-failed-foot").textContent, /429/);
  const cancelled = fragDoc(td.cancelledRun().at(-1)!);
  assert.equal(cancelled.getElementById("answer-run-cancelled-body"), null);
  assert.ok(cancelled.querySelector(".notice-cancelled"));
});

Deno.test("chat start: turn, busy composer wired to the run, conversation id, sidebar", () => {
  const bytes = chatStartFragments({
    runId: "r-1",
    conversationId: "c-9",
    userMessage: td.HOSTILE,
    newConversation: { id: "c-9", title: "T", preview: "p", messageCount: 1, updatedAt: 0 },
  });
  const [msg] = parseSse(bytes);
  assert.equal(msg.id, undefined);
  assert.equal(msg.event, undefined);
  const d = parseDoc(msg.data);
  const turn = d.querySelector("hx-partial[hx-target='#transcript']");
  assert.equal(turn.getAttribute("hx-swap"), "beforeend");
  assert.equal(
    turn.querySelector("article#turn-r-1 .bubble-user .bubble-text").textContent,
    td.HOSTILE,
  );
  assert.ok(turn.querySelector("#answer-r-1 #answer-r-1-text"));
  assert.equal(d.getElementById("stop-button").getAttribute("hx-post"), "/runs/r-1/cancel");
  assert.ok(d.getElementById("send-button").hasAttribute("disabled"));
  assert.equal(d.getElementById("conversation-id").getAttribute("value"), "c-9");
  const side = d.querySelector("hx-partial[hx-target='#conversation-list']");
  assert.equal(side.getAttribute("hx-swap"), "afterbegin");
  assert.equal(side.querySelector("a").getAttribute("href"), "/c/c-9");
  assert.equal(d.querySelectorAll("script, img").length, 0);
});

Deno.test("hostile text in deltas, tool args, results, logs and errors is escaped", () => {
  for (const ev of td.hostileRun()) {
    const html = eventHtml(ev);
    if (html === null) continue;
    assert.ok(!html.includes("<script"), html);
    assert.ok(!html.includes("<img"), html);
    const doc = parseDoc(html);
    assert.equal(doc.querySelectorAll("script, img, iframe").length, 0);
    assert.deepEqual(attributeNames(doc).filter((a) => a.startsWith("on")), []);
    assert.equal(doc.querySelectorAll("a[href^='javascript']").length, 0);
  }
  const args = eventHtml(find(td.hostileRun(), (e) => e.type === EventType.TOOL_CALL_ARGS))!;
  assert.equal(parseDoc(args).querySelector("hx-partial").textContent, td.HOSTILE);
});

Deno.test("chat error: a notice in the transcript, composer idle, escaped", () => {
  const [msg] = parseSse(chatErrorFragments(td.HOSTILE));
  const d = parseDoc(msg.data);
  const notice = d.querySelector("hx-partial[hx-target='#transcript'] .notice-error");
  assert.match(notice.textContent, /Could not send\./);
  assert.ok(notice.textContent.includes(td.HOSTILE));
  assert.equal(d.querySelectorAll("script, img").length, 0);
  assert.equal(d.getElementById("send-button").hasAttribute("disabled"), false);
});
