/**
 * Cost control in a real Chromium: the run's live cost grows in the usage panel (with the call in
 * flight and the budget it counts against), the budget warning appears as a banner once the first
 * call crosses 50 %, and a run stopped by a budget says why under its answer. Screenshot:
 * budget-warning.
 */
import assert from "node:assert/strict";
import { chromiumAvailable, launchBrowser, screenshot } from "./support/browser.ts";
import { skipWithoutPostgres } from "./support/db.ts";
import { startScriptedLlm } from "./support/scripted_llm.ts";
import { startTeam } from "./support/team.ts";

const ignore = (await skipWithoutPostgres()) || !chromiumAvailable();

const TEAM = `
providers:
  p:
    base_url: \${LLM_URL}
    prices:
      priced: { input: 10, output: 10 }
agents:
  assistant:
    description: Answers, checking the clock.
    instructions: Answer.
    model: p/priced
    tools: [clock]
`;

Deno.test({ name: "browser: live cost, the budget banner and a budget stop", ignore }, async () => {
  // The first call costs $0.025 of the $0.04 daily budget (62 %): the warning comes with it.
  await using llm = startScriptedLlm([
    {
      kind: "tool_calls",
      calls: [{ id: "c1", name: "clock", argFragments: ['{"timezone":"UTC"}'] }],
      usage: { prompt_tokens: 2500, completion_tokens: 0 },
    },
    { kind: "slow", chunks: ["It ", "is ", "noon ", "in ", "UTC."], delayMs: 400 },
  ]);
  await using t = await startTeam(TEAM, {
    LLM_URL: llm.url,
    GLASSBOX_BUDGETS: JSON.stringify([
      { scope: "user", period: "day", limit_usd: 0.04, warn_percent: 50 },
    ]),
    GLASSBOX_BUDGET_MAX_OUTPUT_TOKENS: "100",
  });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`${t.gb.url}/`);
    await page.focus("#message");
    await page.keyboard.type("What time is it?");
    await page.keyboard.press("Enter");
    // While the answer streams: the banner, and the cost so far with the call in flight.
    const banner = await page.waitForFunction(
      () => document.querySelector("#budget-banner[role=alert]")?.textContent,
      { timeout: 20_000 },
    );
    assert.match(
      String(await banner.jsonValue()),
      /daily budget \$0\.0400: 62% used \(\$0\.0250\)/,
    );
    const live = await page.waitForFunction(
      () => {
        const text = document.querySelector("#run-cost")?.textContent ?? "";
        return text.includes("In flight") && text;
      },
      { timeout: 20_000 },
    );
    const during = String(await live.jsonValue());
    assert.match(during, /\$0\.0250/);
    assert.match(during, /of daily budget \$0\.0400/);
    await screenshot(page, "budget-warning");
    await page.waitForFunction(
      () => document.querySelector("#run-state.state-succeeded"),
      { timeout: 20_000 },
    );
    const after = await page.$eval("#run-cost", (e) => e.textContent ?? "");
    assert.ok(!after.includes("In flight"), after);
    assert.match(after, /2 calls/);

    // Now at 62 %: a limit of $0.02 stops the next run before its first call.
    const res = await fetch(`${t.gb.url}/api/v1/admin/budgets`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ scope: "user", period: "day", limit_usd: 0.02 }),
    });
    assert.equal(res.status, 200);
    await page.focus("#message");
    await page.keyboard.type("And now?");
    await page.keyboard.press("Enter");
    const notice = await page.waitForFunction(
      () => document.querySelector(".notice-cancelled[data-stopped-by=budget]")?.textContent,
      { timeout: 20_000 },
    );
    assert.match(
      String(await notice.jsonValue()),
      /Stopped\. daily budget \$0\.0200 reached at step 1\/2; the answer so far is kept\./,
    );
    assert.equal(llm.requests.length, 2, "the stopped run sent nothing");
  } finally {
    await browser.close();
  }
});
