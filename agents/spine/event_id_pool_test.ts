/** The id pool with an in-memory source: refills ahead of need, retries, wakes waiters. */
import assert from "node:assert/strict";
import { EventIdPool, type IdSource } from "./event_id_pool.ts";

function counting(failFirst = 0): IdSource & { calls: number } {
  let next = 1;
  let fails = failFirst;
  const s = {
    calls: 0,
    allocate(n: number): Promise<number[]> {
      s.calls++;
      if (fails-- > 0) return Promise.reject(new Error("database away"));
      return Promise.resolve(Array.from({ length: n }, () => next++));
    },
  };
  return s;
}

Deno.test("id pool: ids are unique and increasing across refills", async () => {
  const pool = new EventIdPool(counting(), 8);
  const got: number[] = [];
  while (got.length < 50) {
    const id = pool.take();
    if (id === null) await pool.ready();
    else got.push(id);
  }
  assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => i + 1));
});

Deno.test("id pool: refilling starts when a quarter is left, before it runs out", async () => {
  const source = counting();
  const pool = new EventIdPool(source, 8);
  await pool.ready();
  assert.equal(source.calls, 1);
  for (let i = 0; i < 7; i++) assert.notEqual(pool.take(), null);
  assert.equal(source.calls, 2, "low water reached: a refill is under way");
  await pool.ready();
  assert.equal(pool.available, 9, "topped up while an id was still at hand");
});

Deno.test("id pool: a failing source is retried; waiters wake once ids arrive", async () => {
  const source = counting(2);
  const pool = new EventIdPool(source, 4);
  assert.equal(pool.take(), null);
  await pool.ready();
  assert.equal(source.calls, 3, "two failures, then a block");
  assert.equal(pool.take(), 1);
});
