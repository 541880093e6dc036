import assert from "node:assert/strict";
import { getLogger as getLogTapeLogger } from "@logtape/logtape";
import type { LogValue } from "../spine/events.ts";
import {
  currentRunContext,
  getLogger,
  LIMITS,
  type LoggingOptions,
  resetLogging,
  setupLogging,
  withContext,
  withRunContext,
} from "./logging.ts";

interface Captured {
  forwarded: { runId: string; value: LogValue }[];
  lines: string[];
}

async function setup(extra: Partial<LoggingOptions> = {}): Promise<Captured> {
  const captured: Captured = { forwarded: [], lines: [] };
  await setupLogging({
    onRunLog: (runId, value) => captured.forwarded.push({ runId, value }),
    stdout: "json",
    write: (line) => captured.lines.push(line),
    ...extra,
  });
  return captured;
}

const tick = (ms = 1) => new Promise((r) => setTimeout(r, ms));

Deno.test("records inside withRunContext reach onRunLog with runId and agent, across awaits", async () => {
  const c = await setup();
  try {
    const log = getLogger("runtime");
    await withRunContext({ runId: "run-1", agent: "researcher" }, async () => {
      log.info("starting {step}", { step: 1 });
      await tick();
      await Promise.resolve();
      // Any logger, not only the glassbox ones.
      getLogTapeLogger(["somelib", "http"]).warn("retrying");
      await tick();
      log.error`failed with ${{ code: 42 }}`;
    });
    assert.deepEqual(
      c.forwarded.map((f) => [f.runId, f.value.agent, f.value.level, f.value.category]),
      [
        ["run-1", "researcher", "info", "glassbox.runtime"],
        ["run-1", "researcher", "warning", "somelib.http"],
        ["run-1", "researcher", "error", "glassbox.runtime"],
      ],
    );
    const [first, , third] = c.forwarded.map((f) => f.value);
    assert.equal(first.message, "starting 1");
    assert.deepEqual(first.properties, { step: 1 });
    assert.equal(typeof first.timestamp, "number");
    assert.ok(Math.abs(first.timestamp - Date.now()) < 10_000);
    assert.equal(third.message, 'failed with {"code":42}');
    // runId and agent are the context, not repeated as properties.
    assert.equal(c.forwarded[1].value.properties, undefined);
  } finally {
    await resetLogging();
  }
});

Deno.test("records outside withRunContext are not forwarded but still reach stdout", async () => {
  const c = await setup();
  try {
    const log = getLogger("server");
    log.info("listening on {port}", { port: 8000 });
    // Also after a run context has ended, and with a runId passed as a plain property.
    await withRunContext({ runId: "run-x", agent: "a" }, () => tick());
    log.info("run {runId} created", { runId: "run-y" });
    assert.equal(c.forwarded.length, 0);
    assert.equal(c.lines.length, 2);
    assert.equal(currentRunContext(), null);
  } finally {
    await resetLogging();
  }
});

Deno.test("nested run contexts override, then restore; parallel runs keep their own ids", async () => {
  const c = await setup();
  try {
    const log = getLogger("agents");
    await withRunContext({ runId: "parent", agent: "orchestrator" }, async () => {
      log.info("before");
      await withRunContext({ runId: "child", agent: "summarizer" }, async () => {
        await tick();
        log.info("inside");
        assert.deepEqual(currentRunContext(), { runId: "child", agent: "summarizer" });
      });
      await tick();
      log.info("after");
    });
    assert.deepEqual(
      c.forwarded.map((f) => `${f.runId}/${f.value.agent}/${f.value.message}`),
      ["parent/orchestrator/before", "child/summarizer/inside", "parent/orchestrator/after"],
    );

    c.forwarded.length = 0;
    const run = (id: string) =>
      withRunContext({ runId: id, agent: `agent-${id}` }, async () => {
        for (let i = 0; i < 5; i++) {
          await tick(Math.random() * 3);
          log.debug("never: below lowestLevel");
          log.info("step {i}", { i });
        }
      });
    await Promise.all([run("a"), run("b"), run("c")]);
    assert.equal(c.forwarded.length, 15);
    for (const f of c.forwarded) assert.equal(f.value.agent, `agent-${f.runId}`);
  } finally {
    await resetLogging();
  }
});

Deno.test("withContext properties attach to every record and are forwarded", async () => {
  const c = await setup();
  try {
    await withRunContext(
      { runId: "r", agent: "a" },
      () =>
        withContext({ requestId: "req-7" }, async () => {
          await tick();
          getLogger().info("hello");
        }),
    );
    assert.deepEqual(c.forwarded[0].value.properties, { requestId: "req-7" });
    const line = JSON.parse(c.lines.at(-1)!);
    assert.deepEqual(line.properties, { runId: "r", agent: "a", requestId: "req-7" });
  } finally {
    await resetLogging();
  }
});

Deno.test("stdout gets one JSON object per line", async () => {
  const c = await setup();
  try {
    await withRunContext({ runId: "run-9", agent: "writer" }, () => {
      getLogger("llm").warning("slow call: {ms} ms\nsecond line", { ms: 1234 });
    });
    getLogger().info("plain");
    assert.equal(c.lines.length, 2);
    for (const line of c.lines) assert.ok(!line.includes("\n"), "one record, one line");
    const rec = JSON.parse(c.lines[0]);
    assert.equal(rec.level, "WARN");
    assert.equal(rec.logger, "glassbox.llm");
    assert.equal(rec.message, "slow call: 1234 ms\nsecond line");
    assert.deepEqual(rec.properties, { runId: "run-9", agent: "writer", ms: 1234 });
    assert.ok(!Number.isNaN(Date.parse(rec["@timestamp"])));
    assert.deepEqual(JSON.parse(c.lines[1]).properties, {});
  } finally {
    await resetLogging();
  }
});

Deno.test("pretty output is a readable line with the run", async () => {
  const c = await setup({ stdout: "pretty" });
  try {
    withRunContext({ runId: "run-5", agent: "planner" }, () => getLogger("x").info("hi"));
    assert.equal(c.lines.length, 1);
    assert.match(c.lines[0], /INF.*glassbox\.x.*hi.*planner run run-5/);
  } finally {
    await resetLogging();
  }
});

Deno.test("forwarded properties are JSON-safe and size-limited", async () => {
  const c = await setup();
  try {
    const circular: Record<string, unknown> = { name: "loop" };
    circular.self = circular;
    withRunContext({ runId: "r", agent: "a" }, () => {
      getLogger().info("odd values {big}", {
        big: 10n ** 30n,
        circular,
        err: new Error("boom", { cause: new TypeError("inner") }),
        fn: () => 1,
        when: new Date(0),
        nan: NaN,
        long: "x".repeat(5_000),
        many: Array.from({ length: 200 }, (_, i) => i),
      });
      getLogger().info("huge", {
        blobs: Array.from({ length: 40 }, () => "y".repeat(900)),
      });
      getLogger().info("long message {s}", { s: "z".repeat(20_000) });
    });
    const [odd, huge, long] = c.forwarded.map((f) => f.value);
    // deno-lint-ignore no-explicit-any
    const p: any = JSON.parse(JSON.stringify(odd.properties));
    assert.equal(JSON.stringify(p), JSON.stringify(odd.properties), "round-trips through JSON");
    assert.equal(p.big, "1000000000000000000000000000000");
    assert.equal(odd.message, "odd values 1000000000000000000000000000000");
    assert.deepEqual(p.circular, { name: "loop", self: "[Circular]" });
    assert.equal(p.err.message, "boom");
    assert.equal(p.err.cause.message, "inner");
    assert.equal(p.fn, "[Function fn]");
    assert.equal(p.when, "1970-01-01T00:00:00.000Z");
    assert.equal(p.nan, "NaN");
    assert.ok(p.long.length < 1_100);
    assert.equal(p.many.length, LIMITS.arrayItems + 1);

    assert.equal(huge.properties?._truncated, true);
    assert.ok(JSON.stringify(huge.properties).length < LIMITS.propertiesJson + 200);
    assert.ok(long.message.length < LIMITS.message + 100);
  } finally {
    await resetLogging();
  }
});

Deno.test("forwarded text is cut at code points: no half emoji in a stored log value", async () => {
  const c = await setup();
  try {
    const cut = (n: number) => "x".repeat(n - 1) + "😀".repeat(10);
    withRunContext({ runId: "r", agent: "a" }, () => {
      getLogger().info("{s}", { s: cut(LIMITS.string) });
      getLogger().info(cut(LIMITS.message));
    });
    const [prop, msg] = c.forwarded.map((f) => f.value);
    const s = (prop.properties as { s: string }).s;
    assert.ok(s.isWellFormed() && s.startsWith("x".repeat(LIMITS.string - 1) + "…"), s);
    assert.ok(msg.message.isWellFormed(), msg.message);
    assert.match(msg.message, /… \(\d+ more chars\)$/);
  } finally {
    await resetLogging();
  }
});

Deno.test("a record logged while forwarding is not forwarded again; onRunLog errors never throw", async () => {
  let calls = 0;
  const lines: string[] = [];
  await setupLogging({
    stdout: "json",
    write: (line) => lines.push(line),
    onRunLog: (_runId, value) => {
      calls++;
      // Whatever handles the record logs too (e.g. the bus) — sync and after an await.
      getLogger("bus").info("published {message}", { message: value.message });
      void tick().then(() => getLogger("bus").info("later"));
      if (value.message === "explode") throw new Error("handler failed");
    },
  });
  try {
    await withRunContext({ runId: "r", agent: "a" }, async () => {
      getLogger().info("one");
      getLogger().info("explode"); // must not throw here
      await tick(5);
    });
    assert.equal(calls, 2);
    assert.ok(lines.some((l) => l.includes("handler failed")), "the failure is on stdout");
    assert.ok(lines.some((l) => JSON.parse(l).message === "later"));
  } finally {
    await resetLogging();
  }
});

Deno.test("an async onRunLog that rejects does not surface as an unhandled rejection", async () => {
  const lines: string[] = [];
  await setupLogging({
    stdout: "json",
    write: (line) => lines.push(line),
    onRunLog: (() => Promise.reject(new Error("db down"))) as unknown as () => void,
  });
  try {
    withRunContext({ runId: "r", agent: "a" }, () => getLogger().info("x"));
    await tick(5);
    assert.ok(lines.some((l) => l.includes("db down")));
  } finally {
    await resetLogging();
  }
});

Deno.test("setupLogging can be called repeatedly; the latest configuration wins", async () => {
  const first = await setup();
  const second = await setup({ lowestLevel: "warning" });
  try {
    withRunContext({ runId: "r", agent: "a" }, () => {
      getLogger().info("dropped by level");
      getLogger().warning("kept");
    });
    assert.equal(first.forwarded.length, 0);
    assert.deepEqual(second.forwarded.map((f) => f.value.message), ["kept"]);
  } finally {
    await resetLogging();
  }
  // After reset nothing is delivered anywhere, and withRunContext still runs its callback.
  assert.equal(withRunContext({ runId: "r", agent: "a" }, () => 7), 7);
  getLogger().error("nobody listens");
  assert.equal(second.lines.length, 1);
});
