import assert from "node:assert/strict";
import { RateLimitedError } from "./errors.ts";
import { RunLimits } from "./run_limits.ts";

Deno.test("run limits: concurrent runs per user; a slot frees when a run ends", () => {
  const limits = new RunLimits({ concurrent: 2, perMinute: 0 });
  const [a1, a2] = [limits.admit("a"), limits.admit("a")];
  assert.throws(
    () => limits.admit("a"),
    (e) => e instanceof RateLimitedError && e.retryAfterS === 2,
  );
  limits.admit("b"); // others are not held up
  a1();
  a1(); // releasing twice frees one slot, not two
  limits.admit("a");
  assert.throws(() => limits.admit("a"), RateLimitedError);
  a2();
});

Deno.test("run limits: so many starts a minute, then Retry-After until the oldest leaves", () => {
  let now = 0;
  const limits = new RunLimits({ concurrent: 0, perMinute: 3 }, () => now);
  for (let i = 0; i < 3; i++) {
    limits.admit("a")();
    now += 10_000;
  }
  let refused: unknown;
  try {
    limits.admit("a");
  } catch (e) {
    refused = e;
  }
  assert.ok(refused instanceof RateLimitedError);
  assert.equal(refused.retryAfterS, 30, "the first start leaves the window at 60 s");
  now = 60_000;
  limits.admit("a"); // the first one left the window
  assert.throws(() => limits.admit("a"), RateLimitedError);
  const unlimited = new RunLimits({ concurrent: 0, perMinute: 0 });
  for (let i = 0; i < 1000; i++) unlimited.admit("a");
});
