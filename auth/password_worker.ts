/**
 * Runs argon2id off the main thread: hash-wasm's compression loop is synchronous and would stall
 * every SSE stream for the whole hash (75–130 ms) if it ran on the server's event loop.
 * `deno compile` embeds it only with `--include auth/password_worker.ts` (deno.json's task).
 */
import { hashPassword, verifyPassword } from "./password.ts";
import type { HashJob, HashResult } from "./password_pool.ts";

// hash-wasm makes a new WebAssembly.Memory per call; V8 frees it only when it collects, and a
// worker's small JS heap rarely triggers a collection, so garbage memories pile up (measured:
// 19 MiB params peaked at 612 MiB RSS over 100 hashes). With --v8-flags=--expose-gc a full GC
// of this tiny heap after each job keeps the peak at baseline + one memory per worker.
const gc = (globalThis as { gc?: () => void }).gc;

// The worker's global scope, typed here: a `/// <reference lib="deno.worker" />` would retype
// the globals of every module checked with this one (the browser tests' DOM events among them).
const scope = globalThis as unknown as {
  onmessage: (e: MessageEvent<HashJob>) => void;
  postMessage(result: HashResult): void;
};

scope.onmessage = async ({ data: job }) => {
  let result: HashResult;
  try {
    const value = job.op === "hash"
      ? await hashPassword(job.password, job.params)
      : await verifyPassword(job.password, job.stored);
    result = { id: job.id, ok: true, value };
  } catch (e) {
    result = { id: job.id, ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  gc?.();
  scope.postMessage(result);
};
