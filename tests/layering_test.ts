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
});

Deno.test("layering: every rule reports the edge it forbids, and allows its exceptions", () => {
  const forbidden: [Edge, string][] = [
    [{ from: "agents/spine/journal.ts", to: "db/events.ts", typeOnly: true }, "agents/spine"],
    [{ from: "agents/spine/journal.ts", to: "config.ts", typeOnly: false }, "agents/spine"],
    [{ from: "db/events.ts", to: "agents/spine/events.ts", typeOnly: false }, "db imports"],
    [{ from: "db/usage.ts", to: "agents/llm/usage_period.ts", typeOnly: true }, "db imports"],
    [{ from: "views/chat/page.tsx", to: "routes/assets.ts", typeOnly: false }, "views import"],
    [{ from: "views/calls/list.tsx", to: "db/llm_calls.ts", typeOnly: false }, "views import"],
    [{ from: "agents/runs/run_manager.ts", to: "routes/errors.ts", typeOnly: true }, "app.ts"],
    [{ from: "agents/team/tools/llm_usage.ts", to: "db/usage.ts", typeOnly: true }, "team"],
    [
      { from: "agents/llm/recording_client.ts", to: "agents/demo/handler.ts", typeOnly: false },
      "demo",
    ],
    [{ from: "routes/pages/chat.tsx", to: "agents/demo/handler.ts", typeOnly: false }, "demo"],
    [{ from: "agents/runtime/agent_loop.ts", to: "views/run/fold.ts", typeOnly: false }, "agents/"],
    [{ from: "main.ts", to: "db/client.ts", typeOnly: false }, "main.ts"],
    [
      { from: "views/chat/fragments.tsx", to: "npm:/hono@4.13.19/html", typeOnly: false },
      "hono/html",
    ],
  ];
  for (const [edge, rule] of forbidden) {
    const found = violations([edge]);
    assert.ok(found.some((v) => v.includes(rule)), `${JSON.stringify(edge)}: ${found.join("; ")}`);
  }
  const allowed: Edge[] = [
    { from: "db/events.ts", to: "agents/spine/events.ts", typeOnly: true },
    { from: "db/events.ts", to: "npm:@ag-ui/core@1.0.0", typeOnly: false },
    { from: "views/calls/shell.tsx", to: "db/llm_calls.ts", typeOnly: true },
    { from: "app.ts", to: "routes/api/chat.ts", typeOnly: false },
    { from: "routes/api/ws.ts", to: "routes/api/chat.ts", typeOnly: false },
    { from: "routes/api/demo.ts", to: "agents/demo/handler.ts", typeOnly: false },
    { from: "agents/spine/journal.ts", to: "agents/spine/events.ts", typeOnly: false },
    { from: "agents/spine/events.ts", to: "npm:@ag-ui/core@1.0.0", typeOnly: false },
    { from: "main.ts", to: "config.ts", typeOnly: false },
    // Tests may reach anything.
    { from: "agents/spine/event_writer_test.ts", to: "db/events.ts", typeOnly: false },
    { from: "tests/support/server.ts", to: "app.ts", typeOnly: false },
    { from: "bench/persist.ts", to: "db/events.ts", typeOnly: false },
  ];
  assert.deepEqual(violations(allowed), []);
  assert.ok(RULES.length >= 9);
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
        "main.ts → db/allowed.ts: main.ts imports only app.ts and config.ts of ours",
        "main.ts → routes/r.ts: main.ts imports only app.ts and config.ts of ours",
        "main.ts → routes/r.ts: only app.ts imports routes/",
        "views/page.tsx → routes/r.ts: only app.ts imports routes/",
        "views/page.tsx → routes/r.ts: views import no routes/ and no values from db/",
      ].sort(),
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
