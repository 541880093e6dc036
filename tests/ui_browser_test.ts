/// <reference lib="dom" />
/**
 * The chat page in a real Chromium against a real Glassbox (Postgres, demo model slowed down so a
 * run can be watched): live updates and their order, Stop, a reload in the middle of a run, and
 * hostile text. Screenshots go to test-artifacts/screenshots/.
 */
import assert from "node:assert/strict";
import { chromiumAvailable, launchBrowser, type Page, screenshot } from "./support/browser.ts";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { startGlassbox, type TestServer } from "./support/server.ts";

const ignore = !chromiumAvailable() || await skipWithoutPostgres();
/** Demo-model pauses between chunks: watchable, slow enough to act mid-answer, or quick. */
const WATCHABLE = { GLASSBOX_DEMO_DELAY_MS: "40" };
const SLOW = { GLASSBOX_DEMO_DELAY_MS: "150" };
const QUICK = { GLASSBOX_DEMO_DELAY_MS: "5" };

type Marks = Record<string, number>;
declare global {
  var __marks: Marks;
  var __conn: string[];
  var __pwned: unknown;
  var __firstFragmentMs: number | undefined;
  var __csp: string[];
}

/**
 * Installed before any page script on every load: records when each thing FIRST appears
 * (performance.now(), at the mutation) and every connection-indicator state seen.
 */
function recorder() {
  // Every Content-Security-Policy violation the page raises (blocked inline code, styles…).
  const csp: string[] = (globalThis.__csp = []);
  document.addEventListener("securitypolicyviolation", (e) => {
    csp.push(`${e.effectiveDirective}: ${e.blockedURI} ${e.sample}`);
  });
  const marks: Marks = (globalThis.__marks = {});
  const conn: string[] = (globalThis.__conn = []);
  const q = (sel: string) => document.querySelector(sel);
  const checks: Record<string, () => unknown> = {
    userBubble: () => q("#transcript .bubble-user"),
    progressStep: () => /Step \d+\/\d+/.test(q("#progress .progress-step")?.textContent ?? ""),
    treeLlm: () => q("#run-tree .node-llm"),
    treeTool: () => q("#run-tree .node-tool"),
    treeSubagent: () => q("#run-tree .node-agent:not(.node-root)"),
    logRow: () => q("#log-list .log-row"),
    answerText: () => q("#transcript .answer-live .msg")?.textContent,
    answerFinal: () => q("#transcript .bubble-assistant .answer-body > .md"),
    ended: () => q("#run-state.state-succeeded, #run-state.state-cancelled"),
  };
  const check = () => {
    const t = performance.now();
    for (const [k, f] of Object.entries(checks)) if (!(k in marks) && f()) marks[k] = t;
    if (marks.userBubble && !marks.userBubblePaint) {
      marks.userBubblePaint = -1;
      requestAnimationFrame(() => marks.userBubblePaint = performance.now());
    }
    const state = q("#connection")?.getAttribute("data-state");
    if (state && conn.at(-1) !== state) conn.push(state);
  };
  const all = { subtree: true, childList: true, attributes: true, characterData: true };
  new MutationObserver(check).observe(document, all);
  addEventListener("keydown", (e) => {
    if (e.key === "Enter") marks.enter ??= performance.now();
  }, { capture: true });
  document.addEventListener("htmx:before:request", () => marks.request ??= performance.now());
}

interface Ui {
  gb: TestServer;
  page: Page;
  newPage(): Promise<Page>;
}

/** A test with a fresh database, a Glassbox with `env` and a browser; all closed after. */
function uiTest(name: string, env: Record<string, string>, fn: (ui: Ui) => Promise<void>) {
  Deno.test({ name: `browser: ${name}`, ignore, fn: () => withUi(env, fn) });
}

async function withUi(env: Record<string, string>, fn: (ui: Ui) => Promise<void>) {
  const db = await freshPostgres();
  const cleanup: (() => Promise<unknown>)[] = [() => db.close()];
  try {
    const gb = await startGlassbox({ DATABASE_URL: db.url, ...env });
    cleanup.unshift(() => gb.close());
    const browser = await launchBrowser();
    cleanup.unshift(() => browser.close());
    const newPage = async () => {
      const p = await browser.newPage();
      await p.setViewport({ width: 1280, height: 900 });
      await p.evaluateOnNewDocument(recorder);
      return p;
    };
    const page = await newPage();
    await open(page, gb.url + "/");
    await fn({ gb, page, newPage });
  } finally {
    for (const c of cleanup) await c().catch((e) => console.error("cleanup:", e));
  }
}

async function open(page: Page, url: string) {
  await page.goto(url, { waitUntil: "load" });
  await waitFor(page, () => "htmx" in globalThis, "htmx loaded");
}

/** Waits until `fn` (run in the page) returns something truthy, and returns it as JSON. */
async function waitFor<T>(page: Page, fn: () => T, what: string, timeout = 20_000) {
  try {
    const handle = await page.waitForFunction(fn, { timeout, polling: "mutation" });
    return await handle.jsonValue() as NonNullable<T>;
  } catch (e) {
    const state = await page.evaluate(() =>
      `${location.pathname} · ${document.getElementById("status-line")?.textContent} · ` +
      JSON.stringify(globalThis.__marks)
    ).catch(() => "(page gone)");
    throw new Error(`timed out after ${timeout} ms waiting for ${what} (${state})`, { cause: e });
  }
}

/** Polls `fn` (in Deno) every 50 ms until it is true. */
async function until(what: string, fn: () => Promise<boolean>, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function ask(page: Page, question: string) {
  await page.focus("#message");
  await page.keyboard.type(question);
  await page.keyboard.press("Enter");
}

/** Sends `question`; returns ms (performance.now() in the page) from Enter to its user bubble. */
async function askTimed(page: Page, question: string): Promise<number> {
  await page.evaluate(() => {
    const bubbles = () => document.querySelectorAll("#transcript .bubble-user").length;
    const before = bubbles();
    let enter = 0;
    globalThis.__firstFragmentMs = undefined;
    addEventListener("keydown", (e) => e.key === "Enter" && (enter ||= performance.now()), true);
    const mo = new MutationObserver(() => {
      if (!enter || bubbles() === before) return;
      globalThis.__firstFragmentMs = performance.now() - enter;
      mo.disconnect();
    });
    mo.observe(document.getElementById("transcript")!, { childList: true, subtree: true });
  });
  await ask(page, question);
  return await waitFor(page, () => globalThis.__firstFragmentMs, "the user bubble");
}

const runId = (page: Page) =>
  page.$eval("#transcript article.turn:last-of-type", (el) => el.id.replace(/^turn-/, ""));

const sendDisabled = () => (document.getElementById("send-button") as HTMLButtonElement).disabled;
/** (Page functions are sent alone, so this one cannot call sendDisabled.) */
const finished = () =>
  document.querySelector("#run-state.state-succeeded") &&
  !document.getElementById("stop-button") &&
  !(document.getElementById("send-button") as HTMLButtonElement).disabled;

/** Some of everything is on screen: tree nodes, log rows and answer text. */
const underway = () =>
  document.querySelector("#run-tree .node-tool") && document.querySelector("#log-list .log-row") &&
  document.querySelector("#transcript .answer-live .msg")?.textContent;
const recorded = () => ({ conn: globalThis.__conn, marks: globalThis.__marks });

/** The page while a run is live, once tree, log and a working agent are all there. */
function liveState() {
  const q = (s: string) => document.querySelector(s);
  const ready = q("#stop-button") && q("#run-tree .node-tool") && q("#log-list .log-row") &&
    q("#agent-status .badge-working") && q("#run-tree .node-agent:not(.node-root)");
  return ready && {
    step: q("#progress .progress-step")!.textContent!,
    pct: q("#progress .progress-pct")!.textContent!,
    sendDisabled: (q("#send-button") as HTMLButtonElement).disabled,
    stopVisible: (q("#stop-button") as HTMLElement).offsetHeight > 0,
    answerFinal: !!q("#transcript .answer-body > .md"),
    llmNodes: document.querySelectorAll("#run-tree .node-llm").length,
  };
}

function endState() {
  const q = (s: string) => document.querySelector(s) as HTMLElement;
  return {
    answer: q("#transcript .bubble-assistant .answer-body").textContent!,
    usage: q("#usage").textContent!,
    usageVisible: q("#usage").offsetHeight > 0,
    inline: q("#transcript .usage-inline")?.textContent ?? "",
    pct: q("#progress .progress-pct").textContent,
    marks: globalThis.__marks,
  };
}

/** What must be identical between a re-attached page and a fresh load (ids unique). */
function contentSnapshot() {
  const all = [...document.querySelectorAll("[id]")].map((el) => el.id);
  const text = (sel: string) => [...document.querySelectorAll(sel)].map((el) => el.textContent);
  return {
    duplicateIds: all.filter((id, i) => all.indexOf(id) !== i),
    treeNodes: [...document.querySelectorAll("#run-tree li.node")].map((el) => el.id),
    treeHtml: document.getElementById("run-tree")!.outerHTML,
    logRows: text("#log-list .log-row"),
    userBubbles: text("#transcript .bubble-user"),
    answers: text("#transcript .answer-body"),
    usage: document.getElementById("usage")!.outerHTML,
    progress: document.getElementById("progress")!.outerHTML,
  };
}

uiTest("a live run, from Enter to the answer", WATCHABLE, async ({ page, gb }) => {
  const q = "What time is it, and how many tokens have I used today?";
  const firstFragmentMs = await askTimed(page, q);
  const live = await waitFor(page, liveState, "a live run with tree, log and a working agent");
  assert.match(live.step, /^Step \d+\/\d+$/);
  assert.match(live.pct, /^\d{1,3}%$/);
  assert.equal(live.sendDisabled, true, "Send is disabled while the run is live");
  assert.equal(live.stopVisible, true, "Stop is visible while the run is live");
  assert.equal(live.answerFinal, false, "the answer is not finished yet");
  assert.ok(live.llmNodes >= 1);
  assert.match(new URL(page.url()).pathname, /^\/c\/[0-9a-f-]{36}$/, "HX-Replace-Url applied");
  await screenshot(page, "ui-mid-run");

  await waitFor(page, finished, "the run to finish", 60_000);
  const end = await page.evaluate(endState);
  assert.match(end.answer, /I found, using 2 tools at once/);
  assert.match(end.usage, /LLM calls.*\d.*Tokens.*\d+ in · \d+ out.*Cost/s);
  assert.ok(end.usageVisible, "the usage summary is visible");
  assert.match(end.inline, /\d+ LLM calls · [\d,.k]+ tokens · /);
  assert.equal(end.pct, "100%");

  const m = end.marks;
  const ms = (k: string) => `${(m[k] - m.enter).toFixed(1)} ms`;
  console.log(
    `Enter → first fragment (user bubble in #transcript), 1st question on a fresh server: ` +
      `${firstFragmentMs.toFixed(1)} ms in the DOM, ${ms("userBubblePaint")} at the next ` +
      `frame (request sent at ${ms("request")})`,
  );
  const order = Object.entries(m).sort((a, b) => a[1] - b[1]);
  const list = order.map(([k, t]) => `${k}=${(t - m.enter).toFixed(0)}`).join(" ");
  console.log(`first appearance (ms after Enter): ${list}`);
  for (const k of ["userBubble", "progressStep", "treeLlm", "treeTool", "logRow", "answerText"]) {
    assert.ok(m[k] > m.enter, `${k} appeared after Enter`);
  }
  assert.ok(m.progressStep < m.answerFinal, "progress before the final answer");
  assert.ok(m.treeLlm < m.answerFinal && m.treeTool < m.answerFinal, "tree before the answer");
  assert.ok(m.treeSubagent < m.answerFinal, "sub-agent nodes before the answer");
  assert.ok(m.logRow < m.ended, "log rows before the end");
  assert.ok(m.answerText < m.answerFinal, "the answer streamed before it was final");

  await screenshot(page, "ui-finished");
  // The page worked under its CSP (no inline script, no style attributes) without a violation.
  assert.match(
    (await gb.glassbox.app.request("/")).headers.get("content-security-policy")!,
    /script-src 'self'/,
  );
  assert.deepEqual(await page.evaluate(() => globalThis.__csp), [], "no CSP violation");
  await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "dark" }]);
  await screenshot(page, "ui-dark");
  await page.emulateMediaFeatures([]);
  await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
  await screenshot(page, "ui-phone");
});

uiTest("Stop cancels the run, the composer works again", SLOW, async ({ page, gb }) => {
  await ask(page, "Tell me about yourself");
  await waitFor(page, () => document.querySelector(".answer-live .msg")?.textContent, "text");
  const id = await runId(page);
  await page.click("#stop-button");
  const notice = () => document.querySelector("#transcript .turn:last-child .notice-cancelled");
  await waitFor(page, notice, "a cancelled notice");
  assert.equal(await page.$("#stop-button"), null, "Stop is gone");
  assert.equal(await page.evaluate(sendDisabled), false, "Send is enabled");
  assert.match(await page.$eval("#run-state", (el) => el.textContent!), /Stopped/);
  await until("the run recorded as cancelled", async () => {
    const run = await (await fetch(`${gb.url}/api/v1/runs/${id}`)).json();
    return run.status === "cancelled";
  });

  // Usable again: a second question starts a second run in the same conversation.
  const warm = await askTimed(page, "And what is 2 + 2?");
  console.log(`Enter → first fragment, 2nd question (warm server): ${warm.toFixed(1)} ms`);
  await waitFor(page, () => document.getElementById("stop-button"), "the second run's Stop");
  assert.equal(await page.$$eval("#transcript article.turn", (t) => t.length), 2);
  assert.notEqual(await runId(page), id);
  await page.click("#stop-button");
  const stopped = () => document.querySelectorAll("#transcript .notice-cancelled").length === 2;
  await waitFor(page, stopped, "the second run to stop");
});

uiTest("a reload mid-run re-attaches, no duplicates", SLOW, async ({ page, gb, newPage }) => {
  await ask(page, "What is 17 * 23?");
  await waitFor(page, underway, "tree nodes, log rows and answer text");
  const path = new URL(page.url()).pathname;
  assert.match(path, /^\/c\/[0-9a-f-]{36}$/, "the POST replaced the URL with the conversation");

  const streams: string[] = [];
  page.on("request", (r) => r.url().includes("/events") && streams.push(r.url()));
  await page.reload({ waitUntil: "load" });
  assert.equal(new URL(page.url()).pathname, path);
  await waitFor(page, () => globalThis.__conn.includes("live"), "the re-attached stream");
  await waitFor(page, finished, "the run to finish after the reload", 60_000);
  const { conn, marks } = await page.evaluate(recorded);
  assert.deepEqual(conn, ["connecting", "live", "ended"]);
  assert.ok(marks.answerText < marks.answerFinal, "the reloaded page showed the partial answer");

  // The fresh load first: a re-attached stream that wrongly reconnected after `done` would
  // have time to replay events into the first page before its snapshot.
  const fresh = await newPage();
  await open(fresh, gb.url + path);
  const reference = await fresh.evaluate(contentSnapshot);
  const reattached = await page.evaluate(contentSnapshot);
  assert.equal(streams.length, 1, `one re-attach stream: ${streams}`);
  assert.deepEqual(reattached.duplicateIds, [], "no duplicated ids after re-attaching");
  assert.deepEqual(reattached, reference);
  assert.equal(reference.treeNodes.length, new Set(reference.treeNodes).size);
  assert.equal(reference.userBubbles.length, 1);
  assert.match(reference.answers[0]!, /17 \* 23 = 391/);
});

uiTest("hostile text stays text, nothing runs", QUICK, async ({ page }) => {
  const hostile = `Hello <script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`;
  await ask(page, hostile);
  await waitFor(page, finished, "the answer", 30_000);
  const r = await page.evaluate(() => ({
    pwned: globalThis.__pwned,
    scripts: document.querySelectorAll("#transcript script").length,
    imgs: document.querySelectorAll("img, [onerror]").length,
    user: document.querySelector("#transcript .bubble-user .bubble-text")!.textContent!,
    answer: document.querySelector("#transcript .bubble-assistant .answer-body")!.textContent!,
  }));
  assert.equal(r.pwned, undefined);
  assert.equal(r.scripts, 0, "no script element in the transcript");
  assert.equal(r.imgs, 0, "no img, no onerror handler");
  assert.equal(r.user, hostile);
  assert.ok(r.answer.includes(`You asked: “${hostile}”`), `shown literally: ${r.answer}`);
});

uiTest("the log tail follows new rows, and stays put once scrolled up", SLOW, async ({ page }) => {
  // A short panel, so a few rows overflow it (the behaviour, not the panel's height, is tested).
  // Set through the CSSOM: the page's CSP refuses injected <style> tags.
  await page.evaluate(() =>
    document.querySelector<HTMLElement>(".log-scroll")!.style.setProperty(
      "max-height",
      "60px",
      "important",
    )
  );
  await ask(page, "What time is it, and how many tokens have I used today?");
  const rows = () => document.querySelectorAll("#log-list .log-row").length;
  await waitFor(page, () => document.querySelectorAll("#log-list .log-row").length >= 5, "rows");
  const box = () => {
    const panel = document.querySelector(".log-scroll")!.getBoundingClientRect();
    const list = [...document.querySelectorAll("#log-list .log-row")];
    const last = list.at(-1)!.getBoundingClientRect();
    return { lastVisible: last.bottom <= panel.bottom + 1 && last.top >= panel.top - 1 };
  };
  assert.equal((await page.evaluate(box)).lastVisible, true, "pinned to the newest row");

  // Scroll to the oldest row: new rows must not pull the view back down.
  const seen = await page.evaluate(() => {
    const first = document.querySelector("#log-list .log-row") as HTMLElement;
    first.scrollIntoView({ block: "start" });
    const panel = document.querySelector(".log-scroll")!.getBoundingClientRect();
    return { text: first.textContent, offset: first.getBoundingClientRect().top - panel.top };
  });
  const before = await page.evaluate(rows);
  await until("two more log rows", async () => (await page.evaluate(rows)) >= before + 2, 30_000);
  const after = await page.evaluate(() => {
    const first = document.querySelector("#log-list .log-row") as HTMLElement;
    const panel = document.querySelector(".log-scroll")!.getBoundingClientRect();
    return { text: first.textContent, offset: first.getBoundingClientRect().top - panel.top };
  });
  assert.equal(after.text, seen.text);
  assert.ok(
    Math.abs(after.offset - seen.offset) <= 2,
    `stayed put: ${seen.offset} → ${after.offset}`,
  );
  assert.equal((await page.evaluate(box)).lastVisible, false, "the newest row is below the view");
});
