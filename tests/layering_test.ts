/**
 * The layering rules hold in the real import graph, and the checker does catch what they forbid
 * (on hand-written edges, and on a small module tree with real forbidden imports).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Edge, importGraph, RULES, sourceFiles, violations } from "./support/layering.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

Deno.test("layering: the real import graph breaks no rule", async () => {
  const files = await sourceFiles(ROOT);
  const edges = await importGraph(ROOT, files, join(ROOT, "deno.json"));
  assert.deepEqual(violations(edges), []);
  // It is the real graph: every module is in it, with edges of both kinds.
  const from = new Set(edges.map((e) => e.from));
  for (const f of ["main.ts", "app.ts", "agents/spine/journal.ts", "db/events.ts"]) {
    assert.ok(from.has(f), f);
  }
  const has = (e: Edge) =>
    edges.some((x) => x.from === e.from && x.to === e.to && x.typeOnly === e.typeOnly);
  assert.ok(has({ from: "main.ts", to: "app.ts", typeOnly: false }));
  assert.ok(has({ from: "db/events.ts", to: "agents/spine/events.ts", typeOnly: true }));
  assert.ok(has({ from: "views/calls/shell.tsx", to: "db/llm_calls.ts", typeOnly: true }));
  assert.ok(has({ from: "app.ts", to: "routes/api/demo.ts", typeOnly: false }));
  assert.ok(
    has({ from: "views/common/markdown.ts", to: "npm:/hono@4.13.19/html", typeOnly: false }),
  );
  const sdk = "npm:/@modelcontextprotocol/sdk@1.32.2/client/index.js";
  assert.ok(has({ from: "agents/mcp/sdk.ts", to: sdk, typeOnly: false }));
});

/**
 * One import per line: `from -> to` (`-type->` for a type-only import), then `✓` when allowed or
 * `✗ <part of the name of the rule it breaks>`.
 */
const CASES = `
  agents/spine/journal.ts -type-> db/events.ts  ✗ agents/spine
  agents/spine/journal.ts -> config.ts  ✗ agents/spine
  agents/spine/journal.ts -> agents/spine/events.ts  ✓
  agents/spine/events.ts -> npm:@ag-ui/core@1.0.0  ✓
  db/events.ts -> agents/spine/events.ts  ✗ db imports
  db/events.ts -type-> agents/spine/events.ts  ✓
  db/usage.ts -type-> agents/llm/usage_period.ts  ✗ db imports
  db/events.ts -> npm:@ag-ui/core@1.0.0  ✓
  views/chat/page.tsx -> routes/assets.ts  ✗ views import
  views/calls/list.tsx -> db/llm_calls.ts  ✗ views import
  views/calls/shell.tsx -type-> db/llm_calls.ts  ✓
  agents/runs/run_manager.ts -type-> routes/errors.ts  ✗ only app.ts
  app.ts -> routes/api/chat.ts  ✓
  routes/api/ws.ts -> routes/api/chat.ts  ✓
  agents/team/tools/llm_usage.ts -type-> db/usage.ts  ✗ team
  agents/mcp/connection.ts -> db/client.ts  ✗ agents/mcp
  agents/mcp/tool_source.ts -type-> agents/team/team_file.ts  ✗ agents/mcp
  agents/mcp/tool_source.ts -type-> agents/runtime/types.ts  ✓
  agents/mcp/connection.ts -> npm:/@modelcontextprotocol/sdk@1.32.2/client/index.js  ✗ only agents/mcp/sdk.ts
  agents/mcp/sdk.ts -> npm:/@modelcontextprotocol/sdk@1.32.2/client/index.js  ✓
  agents/llm/recording_client.ts -> agents/demo/handler.ts  ✗ demo
  routes/pages/chat.tsx -> agents/demo/handler.ts  ✗ demo
  routes/api/demo.ts -> agents/demo/handler.ts  ✓
  agents/runtime/agent_loop.ts -> views/run/fold.ts  ✗ agents/
  main.ts -> db/client.ts  ✗ main.ts
  main.ts -> config.ts  ✓
  main.ts -> config/help.ts  ✓
  main.ts -> cli/admin.ts  ✓
  auth/sessions.ts -> routes/access.ts  ✗ auth imports
  auth/viewer.ts -> views/common/chrome.tsx  ✗ auth imports
  auth/sessions.ts -> db/sessions.ts  ✓
  views/common/chrome.tsx -> auth/viewer.ts  ✗ views import only types
  views/common/chrome.tsx -type-> auth/viewer.ts  ✓
  agents/runs/run_manager.ts -type-> auth/viewer.ts  ✗ agents/ import nothing from auth
  routes/access.ts -> auth/viewer.ts  ✓
  views/chat/fragments.tsx -> npm:/hono@4.13.19/html  ✗ hono/html
  # Tests may reach anything.
  agents/spine/event_writer_test.ts -> db/events.ts  ✓
  tests/support/server.ts -> app.ts  ✓
  tests/support/mcp/sdk_server.ts -> npm:/@modelcontextprotocol/sdk@1.32.2/server/mcp.js  ✓
  bench/persist.ts -> db/events.ts  ✓
`;

function cases() {
  return CASES.trim().split("\n").filter((l) => !l.trim().startsWith("#")).map((line) => {
    const [, from, arrow, to, verdict] = /^\s*(\S+) (->|-type->) (\S+)\s+(.*)$/.exec(line)!;
    const rule = verdict === "✓" ? null : verdict.replace(/^✗ /, "");
    return { edge: { from, to, typeOnly: arrow === "-type->" }, rule };
  });
}

Deno.test("layering: every rule reports the edge it forbids, and allows its exceptions", () => {
  for (const { edge, rule } of cases()) {
    const found = violations([edge]);
    const what = `${JSON.stringify(edge)}: ${found.join("; ") || "allowed"}`;
    if (rule === null) assert.deepEqual(found, [], what);
    else assert.ok(found.some((v) => v.includes(rule)), what);
  }
  // Every rule is exercised by at least one case.
  for (const r of RULES) {
    assert.ok(cases().some(({ edge, rule }) => rule !== null && r.breaks(edge)), r.name);
  }
});

Deno.test("layering: real forbidden imports in a module tree are found in deno's graph", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "glassbox-layering-tree-" });
  try {
    const files: Record<string, string> = {
      "agents/spine/events.ts": "export type Id = number;\nexport const KIND = 'k';\n",
      // A type-only import is allowed here; the value import below is not.
      "db/allowed.ts":
        'import type { Id } from "../agents/spine/events.ts";\nexport const a: Id = 1;\n',
      "db/forbidden.ts":
        'import { KIND } from "../agents/spine/events.ts";\nexport const b = KIND;\n',
      "db/inline_type.ts":
        'import { type Id } from "../agents/spine/events.ts";\nexport const c: Id = 3;\n',
      "agents/spine/journal.ts":
        'import { b } from "../../db/forbidden.ts";\nexport const j = b;\n',
      "views/page.tsx": 'export { r } from "../routes/r.ts";\n',
      "routes/r.ts": "export const r = 1;\n",
      "main.ts": 'import "./db/allowed.ts";\nawait import("./routes/r.ts");\n',
    };
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(join(tmp, path, ".."), { recursive: true });
      await Deno.writeTextFile(join(tmp, path), text);
    }
    const found = violations(await importGraph(tmp, Object.keys(files)));
    assert.deepEqual(
      found.sort(),
      [
        "agents/spine/journal.ts → db/forbidden.ts: agents/spine imports nothing of ours outside agents/spine",
        "db/forbidden.ts → agents/spine/events.ts: db imports only db/ and the types of agents/spine/events.ts",
        // `import { type X }` still loads the module at run time: not type-only.
        "db/inline_type.ts → agents/spine/events.ts: db imports only db/ and the types of agents/spine/events.ts",
        "main.ts → db/allowed.ts: main.ts imports only app.ts, config.ts, config/ and cli/ of ours",
        "main.ts → routes/r.ts: main.ts imports only app.ts, config.ts, config/ and cli/ of ours",
        "main.ts → routes/r.ts: only app.ts imports routes/",
        "views/page.tsx → routes/r.ts: only app.ts imports routes/",
        "views/page.tsx → routes/r.ts: views import no routes/ and no values from db/",
      ].sort(),
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
