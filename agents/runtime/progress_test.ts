import assert from "node:assert/strict";
import { ProgressTracker } from "./progress.ts";
import type { ProgressValue } from "../spine/events.ts";

Deno.test("progress: steps count up, the total grows with the plan, percent never falls", () => {
  const seen: ProgressValue[] = [];
  const p = new ProgressTracker(2, (v) => seen.push(v));
  const think = p.begin("Understanding your question");
  think();
  p.plan(3);
  p.begin("Checking the clock")();
  p.begin("Adding up token usage")();
  p.begin("Writing the answer");
  assert.deepEqual(seen.map((v) => [v.step, v.totalSteps]), [[1, 2], [2, 5], [3, 5], [4, 5]]);
  const percents = seen.map((v) => v.percent);
  assert.deepEqual(percents, [...percents].sort((a, b) => a - b));
  assert.ok(percents.every((x) => x < 100));
  p.finish("Done", true);
  // The estimate (5) was high; on success the real count (4) is shown.
  assert.deepEqual(seen.at(-1), { percent: 100, step: 4, totalSteps: 4, message: "Done" });
});

Deno.test("progress: a failed run keeps the percent it reached", () => {
  const seen: ProgressValue[] = [];
  const p = new ProgressTracker(4, (v) => seen.push(v));
  p.begin("a")();
  p.begin("b")();
  p.finish("Failed", false);
  assert.equal(seen.at(-1)!.percent, 50);
  assert.equal(seen.at(-1)!.message, "Failed");
});

Deno.test("progress: a step's own updates keep its number and never move the percent back", () => {
  const seen: ProgressValue[] = [];
  const p = new ProgressTracker(2, (v) => seen.push(v));
  p.begin("a")();
  p.begin("Reading files");
  p.update("files · read: 3/10");
  assert.deepEqual(seen.at(-1), {
    percent: 50,
    step: 2,
    totalSteps: 2,
    message: "files · read: 3/10",
  });
});
