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
  assert.equal(buf.unstored, buf.pending, "nothing in flight after a failed write");
  down = false;
  await buf.flush();
  assert.deepEqual(stored, [7, 8, 9, 10, 11], "the newest are kept, in order");
  buf.close();
});

Deno.test("record buffer: unstored counts the write in flight as well as the queue", async () => {
  let land!: () => void;
  const landed = new Promise<void>((r) => land = r);
  const buf = new RecordBuffer<number>({ store: () => landed, maxBatch: 3, flushMs: 10_000 });
  for (let i = 0; i < 5; i++) buf.add(i); // the third starts a write of 3; 2 wait
  assert.equal(buf.pending, 2);
  assert.equal(buf.unstored, 5);
  land();
  await buf.flush();
  assert.equal(buf.unstored, 0);
  buf.close();
});
