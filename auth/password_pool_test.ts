import assert from "node:assert/strict";
import { HasherBusyError, PasswordPool } from "./password_pool.ts";
import { verifyPassword } from "./password.ts";

const FAST = { memoryKiB: 1024, iterations: 1, parallelism: 1 };

Deno.test("password pool: hashes and verifies off the main thread", async () => {
  const pool = new PasswordPool({ workers: 1, maxQueue: 4, params: FAST });
  try {
    const phc = await pool.hash("pw");
    assert.equal(await verifyPassword("pw", phc), true); // same format as the inline function
    assert.equal(await pool.verify("pw", phc), true);
    assert.equal(await pool.verify("nope", phc), false);
    assert.equal(await pool.verify("pw", "garbage"), false);
  } finally {
    pool.close();
  }
});

Deno.test("password pool: a full queue refuses at once with HasherBusyError; accepted jobs all finish", async () => {
  const pool = new PasswordPool({ workers: 1, maxQueue: 3, params: FAST });
  try {
    const jobs = Array.from(
      { length: 10 },
      (_, i) => pool.hash(`pw${i}`).then(() => "ok", (e) => e),
    );
    const results = await Promise.all(jobs);
    assert.equal(results.filter((r) => r === "ok").length, 4); // 1 running + 3 queued
    assert.ok(results.slice(4).every((r) => r instanceof HasherBusyError));
    assert.equal(pool.load, 0);
    assert.equal(await pool.verify("pw0", await pool.hash("pw0")), true); // still serving
  } finally {
    pool.close();
  }
});

Deno.test("password pool: workers are recycled after recycleAfter jobs without losing any", async () => {
  const pool = new PasswordPool({ workers: 1, maxQueue: 32, params: FAST, recycleAfter: 2 });
  try {
    const all = await Promise.all(Array.from({ length: 7 }, (_, i) => pool.hash(`p${i}`)));
    assert.equal(new Set(all).size, 7);
  } finally {
    pool.close();
  }
});
