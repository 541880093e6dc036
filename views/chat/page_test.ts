import assert from "node:assert/strict";
import { foldRun } from "../run/fold.ts";
import { ChatPage, type ChatPageProps } from "./page.tsx";
import * as td from "../../tests/support/sample_runs.ts";
import { attributeNames, parseDoc } from "../../tests/support/dom.ts";

const conversations = [
  { id: "old", title: "Older", preview: "p1", messageCount: 2, updatedAt: new Date(td.T0 - 1e6) },
  { id: td.CONVERSATION_ID, title: "Newer", preview: "p2", messageCount: 1, updatedAt: td.T0 },
];
const run = (events = td.successRun(), status = "succeeded") => ({ ...foldRun(events), status });
const props = (over: Partial<ChatPageProps> = {}): ChatPageProps => ({
  conversations,
  ...td.CHROME,
  assetVersion: "abc123",
  now: td.T0,
  ...over,
});

Deno.test("a full document with landmarks, labels, live region and versioned assets", () => {
  const html = ChatPage(props());
  assert.ok(html.startsWith('<!DOCTYPE html><html lang="en">'));
  const d = parseDoc(html);
  for (const sel of ["header", "nav[aria-label]", "main#main", "aside[aria-label]", "h1"]) {
    assert.ok(d.querySelector(sel), sel);
  }
  assert.equal(d.querySelector("label[for=message]").textContent, "Your question");
  assert.equal(d.querySelector("#status-line").getAttribute("aria-live"), "polite");
  assert.ok(d.querySelector("link[rel=stylesheet][href='/assets/app-abc123.css']"));
  assert.ok(d.querySelector("script[src='/assets/htmx-4.0.1.min.js']"));
  assert.ok(d.querySelector("script[src='/assets/hx-sse-4.0.1.js']"));
  assert.equal(d.querySelectorAll("body script").length, 0, "no scripts beyond htmx");
  assert.match(d.querySelector(".badge-demo").textContent, /Demo model/);
  assert.ok(d.querySelector("a.skip-link[href='#message']"));
});

Deno.test("sidebar: most recent first, link, preview, count, New chat", () => {
  const d = parseDoc(ChatPage(props({ current: { id: "old", title: "Older", turns: [] } })));
  const links = [...d.querySelectorAll("#conversation-list a")];
  assert.deepEqual(links.map((a) => a.getAttribute("href")), [
    `/c/${td.CONVERSATION_ID}`,
    "/c/old",
  ]);
  assert.match(links[0].textContent, /p2.*1 message/);
  assert.equal(links[1].getAttribute("aria-current"), "page");
  assert.equal(d.querySelector("nav a.btn-new").getAttribute("href"), "/");
});

Deno.test("form: hx-post /chat, Enter sends, hidden conversation id, Send enabled when idle", () => {
  const d = parseDoc(ChatPage(props({ current: { id: "c-1", title: "T", turns: [] } })));
  const form = d.querySelector("form#chat-form");
  assert.equal(form.getAttribute("hx-post"), "/chat");
  assert.equal(form.getAttribute("hx-swap"), "none");
  // Enter-to-send lives in static/app.js (the CSP allows no inline handlers).
  assert.equal(d.querySelector("textarea#message").getAttribute("hx-on:keydown"), null);
  assert.equal(d.querySelector("input#conversation-id").getAttribute("value"), "c-1");
  assert.equal(d.querySelector("#send-button").hasAttribute("disabled"), false);
  assert.equal(d.querySelector("#stop-button"), null);
  assert.equal(d.querySelector("[hx-sse\\:connect]"), null);
});

Deno.test("past turns: answers, notices and collapsed traces without ids; panels show the last run", () => {
  const turns = [
    { userMessage: "a", run: run(td.failedRun(), "failed") },
    { userMessage: "b", run: run(td.cancelledRun(), "cancelled") },
    { userMessage: "c", run: run() },
  ];
  const d = parseDoc(ChatPage(props({ current: { id: "c", title: "T", turns } })));
  assert.equal(d.querySelectorAll("#transcript article.turn").length, 3);
  assert.ok(d.querySelector("#answer-run-failed .notice-error"));
  assert.ok(d.querySelector("#answer-run-cancelled .notice-cancelled"));
  assert.ok(d.querySelector("#answer-run-ok-body .md strong"));
  assert.equal(d.querySelectorAll("details.trace").length, 3);
  assert.equal(d.querySelectorAll("details.trace [id]").length, 0);
  assert.ok(d.querySelector("aside #run-tree #node-llm-span-root-2-head"));
  assert.equal(d.getElementById("run-state").textContent, "Completed");
  const seen = new Set<string>();
  for (const el of d.querySelectorAll("[id]")) {
    assert.ok(!seen.has(el.id), `duplicate id ${el.id}`);
    seen.add(el.id);
  }
});

Deno.test("an active run re-attaches: connect after the last shown event, Stop wired", () => {
  const events = td.successRun().slice(0, 25);
  const current = {
    id: "c",
    title: "T",
    turns: [{ userMessage: "q", run: run(events, "running") }],
  };
  const d = parseDoc(ChatPage(props({ current, activeRunId: "run-ok" })));
  const conn = d.querySelector("[hx-sse\\:connect]");
  assert.equal(conn.getAttribute("hx-sse:connect"), `/runs/run-ok/events?after=${events[24].id}`);
  assert.equal(conn.getAttribute("hx-sse:close"), "done");
  assert.equal(conn.getAttribute("hx-swap"), "none");
  assert.ok(d.querySelector("#send-button").hasAttribute("disabled"));
  assert.equal(d.querySelector("#stop-button").getAttribute("hx-post"), "/runs/run-ok/cancel");
  assert.equal(d.querySelector("#connection").getAttribute("data-state"), "connecting");
  assert.equal(d.querySelectorAll("details.trace").length, 0, "no trace while live");
  assert.ok(d.querySelector("#answer-run-ok-text"));
});

Deno.test("a run that died without a terminal event shows its recorded status", () => {
  const events = td.successRun().slice(0, 25);
  const current = {
    id: "c",
    title: "T",
    turns: [{ userMessage: "q", run: run(events, "interrupted") }],
  };
  const d = parseDoc(ChatPage(props({ current })));
  assert.equal(d.querySelector("[hx-sse\\:connect]"), null);
  assert.equal(d.getElementById("run-state").textContent, "Failed");
  assert.match(d.querySelector("#answer-run-ok-foot").textContent, /interrupted/);
});

Deno.test("user and model text on the page is escaped", () => {
  const turns = [{ userMessage: td.HOSTILE, run: run(td.hostileRun(), "failed") }];
  const hostileConv = [{ ...conversations[0], title: td.HOSTILE, preview: td.HOSTILE }];
  const html = ChatPage(props({
    conversations: hostileConv,
    current: { id: "c", title: td.HOSTILE, turns },
    model: td.HOSTILE,
  }));
  const d = parseDoc(html);
  assert.equal(d.querySelectorAll("body script, img, iframe").length, 0);
  assert.deepEqual(attributeNames(d).filter((a: string) => a.startsWith("on")), []);
  assert.equal(d.querySelector(".bubble-user .bubble-text").textContent, td.HOSTILE);
});
