/**
 * The V8 flags Glassbox runs with: the same for `deno task start`, `dev` and the compiled binary
 * (`compile` bakes them in), and the young-generation cap among them actually holds. The cap is a
 * measured choice (README, Performance: "Memory per connection"): left to itself V8 grows the new
 * space to ~60 MiB under the allocation of thousands of viewers connecting, and keeps it.
 */
import assert from "node:assert/strict";
import denoConfig from "../deno.json" with { type: "json" };
import { START_V8_FLAGS, v8FlagsOf } from "../build/v8_flags.ts";

const SEMI_SPACE_MIB = 16;

Deno.test("runtime flags: start, dev and the compiled binary run with the same V8 flags", () => {
  const { start, dev, compile } = denoConfig.tasks;
  const flags = v8FlagsOf(start);
  assert.equal(v8FlagsOf(dev), flags);
  assert.equal(v8FlagsOf(compile), flags);
  assert.deepEqual(flags.split(",").sort(), [
    "--expose-gc",
    `--max-semi-space-size=${SEMI_SPACE_MIB}`,
  ]);
});

// A workload whose young objects survive (a ring of recent allocations, as thousands of pending
// stream reads are) makes V8 grow the new space to whatever it may: its size is printed.
const GROW_NEW_SPACE = `
import v8 from "node:v8";
const ring = new Array(400_000);
let max = 0;
for (let round = 0; round < 60 && max <= 64 << 20; round++) {
  for (let i = 0; i < ring.length; i++) ring[i] = { i, round, s: "x" + i };
  const n = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
  max = Math.max(max, n.space_size);
}
console.log(max);
`;

Deno.test("runtime flags: the young generation stays within its cap under surviving allocation", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", `--v8-flags=${START_V8_FLAGS}`, GROW_NEW_SPACE],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const mib = Number(new TextDecoder().decode(out.stdout)) / (1 << 20);
  // Two semi-spaces at most; and the workload reached the cap, so the cap is what stopped it.
  assert.ok(mib <= 2 * SEMI_SPACE_MIB + 1, `new space grew to ${mib.toFixed(1)} MiB`);
  assert.ok(
    mib >= SEMI_SPACE_MIB,
    `new space only ${mib.toFixed(1)} MiB: the workload is too weak`,
  );
});
