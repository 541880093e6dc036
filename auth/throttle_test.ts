import assert from "node:assert/strict";
import { SignInThrottle, Throttle } from "./throttle.ts";

Deno.test("throttle: 5 account failures then 1/min; IP bucket independent; success resets account", () => {
  let now = 0;
  const t = new SignInThrottle(() => now);
  for (let i = 0; i < 5; i++) {
    assert.equal(t.retryAfterMs("A@x.com", "1.1.1.1"), 0);
    t.failed("a@x.com", "1.1.1.1");
  }
  assert.equal(t.retryAfterMs("a@x.com", "2.2.2.2"), 60_000); // account locked from any IP
  assert.equal(t.retryAfterMs("b@x.com", "1.1.1.1"), 0); // IP still has 15
  now += 60_000;
  assert.equal(t.retryAfterMs("a@x.com", "1.1.1.1"), 0);
  t.succeeded("a@x.com");
  // the IP bucket refilled to 20 during that minute (1 per 6 s); a spray of 20 empties it
  for (let i = 0; i < 20; i++) t.failed(`u${i}@x.com`, "1.1.1.1");
  assert.ok(t.retryAfterMs("new@x.com", "1.1.1.1") > 0); // new account, same IP: refused
});

Deno.test("throttle memory is bounded", () => {
  const t = new Throttle({ capacity: 1, refillMs: 1000 }, 1000);
  for (let i = 0; i < 5000; i++) t.recordFailure(`k${i}`);
  assert.equal(t.retryAfterMs("k4999"), 1000);
  assert.equal(t.retryAfterMs("k0"), 0); // evicted
});
