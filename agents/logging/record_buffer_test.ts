import assert from "node:assert/strict";
import { RecordBuffer } from "./record_buffer.ts";

Deno.test("record buffer: batches, keeps order, stores everything on flush", async () => {
  const stored: number[][] = [];
  const buf = new RecordBuffer<number>({
    store: (b) => Promise.resolve(void stored.push(b)),
    maxBatch: 3,
    flushMs: 10_000,
  });
  for (let i = 0; i < 7; i++) buf.add(i);
  await buf.flush();
  assert.deepEqual(stored.flat(), [0, 1, 2, 3, 4, 5, 6]);
  assert.ok(stored.every((b) => b.length <= 3));
  buf.close();
});

Deno.test("record buffer: bounded while storage fails, then catches up", async () => {
  let down = true;
  const stored: number[] = [];
  const errors: number[] = [];
  const buf = new RecordBuffer<number>({
    store: (b) =>
      down ? Promise.reject(new Error("down")) : Promise.resolve(void stored.push(...b)),
    maxBatch: 2,
    maxPending: 5,
    flushMs: 10_000,
    onError: (_e, pending) => errors.push(pending),
  });
  for (let i = 0; i < 12; i++) buf.add(i);
  await buf.flush(); // returns at the first failure instead of spinning
  assert.ok(errors.length > 0);
  assert.ok(buf.pending <= 5, `bounded: ${buf.pending}`);
  assert.equal(buf.pending + buf.dropped, 12);
  down = false;
  await buf.flush();
  assert.deepEqual(stored, [7, 8, 9, 10, 11], "the newest are kept, in order");
  buf.close();
});
