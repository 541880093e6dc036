/**
 * The agent picker and the agents page in a real Chromium: the picker is reached and changed
 * with the keyboard, the run uses the picked agent, a reload of the conversation keeps it; the
 * agents page shows the team with an MCP server's tools. Screenshots: team-picker, team-agents.
 */
import assert from "node:assert/strict";
import { chromiumAvailable, launchBrowser, screenshot } from "./support/browser.ts";
import { skipWithoutPostgres } from "./support/db.ts";
import { denoScript } from "./support/mcp/servers.ts";
import { startTeam } from "./support/team.ts";

const ignore = (await skipWithoutPostgres()) || !chromiumAvailable();
const [command, ...args] = denoScript("stdio_faults.ts");

const TEAM = `
mcp_servers:
  faults: { command: ${JSON.stringify(command)}, args: ${JSON.stringify(args)} }
agents:
  assistant:
    title: Assistant
    description: Answers, asking the calculator agent for arithmetic.
    instructions: Delegate arithmetic to ask_calc.
    model: glassbox-demo/glassbox-demo
    sub_agents: [calc]
  calc:
    title: Calculator
    description: Exact arithmetic.
    instructions: Use the calculator.
    model: glassbox-demo/glassbox-demo
    tools: [calculator]
    mcp: [{ server: faults, tools: [echo, weather] }]
entry: [assistant, calc]
`;

Deno.test({
  name: "team browser: the picker by keyboard, kept per conversation; the agents page",
  ignore,
}, async () => {
  await using t = await startTeam(TEAM);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`${t.gb.url}/`);
    // From the message box, Tab reaches the picker; the arrow key picks the next agent.
    await page.focus("#message");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "agent-select");
    await page.keyboard.press("ArrowDown");
    assert.equal(await page.$eval("#agent-select", (s) => (s as HTMLSelectElement).value), "calc");
    await screenshot(page, "team-picker");

    await page.focus("#message");
    await page.keyboard.type("What is 17 * 23?");
    await page.keyboard.press("Enter");
    await page.waitForFunction(
      () => document.querySelector("#run-state.state-succeeded"),
      { timeout: 20_000 },
    );
    const [run] = await t.sql`SELECT agent FROM runs`;
    assert.equal(run.agent, "calc");
    assert.match(page.url(), /\/c\/[0-9a-f-]{36}$/);
    await page.reload();
    assert.equal(await page.$eval("#agent-select", (s) => (s as HTMLSelectElement).value), "calc");

    await page.goto(`${t.gb.url}/agents`);
    const tools = await page.$eval("#agent-calc .agent-tools", (e) => e.textContent);
    assert.match(tools!, /calculator.*faults.*connected.*echo.*weather/s);
    assert.equal(await page.$$eval("#mcp-faults .badge-mcp-connected", (e) => e.length), 1);
    await screenshot(page, "team-agents");
  } finally {
    await browser.close();
  }
});
