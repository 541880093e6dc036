/**
 * A fixed pool of argon2 workers with a bounded queue. hash-wasm's compression loop is
 * synchronous: on the main thread ten concurrent verifies stalled every timer (and so every SSE
 * stream) for 1.35 s; in a worker the main loop's worst lag stayed at 3–20 ms. The pool size caps
 * CPU and memory (each running job holds params.memoryKiB of WASM memory); the queue bound turns
 * a sign-in flood into fast "busy" answers instead of unbounded latency and memory.
 */
import { type Argon2Params, DEFAULT_PARAMS } from "./password.ts";

type JobBody =
  & { password: string }
  & (
    | { op: "hash"; params: Argon2Params }
    | { op: "verify"; stored: string }
  );
export type HashJob = JobBody & { id: number };
export type HashResult =
  | { id: number; ok: true; value: string | boolean }
  | { id: number; ok: false; error: string };

/** Thrown when the queue is full: answer 503 with Retry-After (or 429), never wait. */
export class HasherBusyError extends Error {
  constructor() {
    super("Password hasher is busy");
    this.name = "HasherBusyError";
  }
}

interface Pending {
  job: HashJob;
  resolve: (v: string | boolean) => void;
  reject: (e: Error) => void;
}

export interface PasswordPoolOptions {
  workers?: number;
  /** jobs waiting (not running) before new ones are refused */
  maxQueue?: number;
  params?: Argon2Params;
  /**
   * Replace a worker after this many jobs. Default: never when the process runs with
   * --v8-flags=--expose-gc (the worker collects after each job), else 16 — terminating a worker
   * frees the WASM memories its heap never collected (a respawn costs ~60–100 ms, off the
   * request path since the old worker is replaced only once idle).
   */
  recycleAfter?: number;
}

const GC_EXPOSED = typeof (globalThis as { gc?: unknown }).gc === "function";

export class PasswordPool {
  readonly #params: Argon2Params;
  readonly #maxQueue: number;
  readonly #idle: Worker[] = [];
  readonly #running = new Map<Worker, Pending>();
  readonly #jobs = new Map<Worker, number>();
  readonly #recycleAfter: number;
  readonly #queue: Pending[] = [];
  #nextId = 1;
  #closed = false;

  constructor(opts: PasswordPoolOptions = {}) {
    this.#params = opts.params ?? DEFAULT_PARAMS;
    this.#maxQueue = opts.maxQueue ?? 32;
    this.#recycleAfter = opts.recycleAfter ?? (GC_EXPOSED ? Infinity : 16);
    for (let i = 0; i < (opts.workers ?? 1); i++) this.#idle.push(this.#spawn());
  }

  hash(password: string): Promise<string> {
    return this.#submit({ op: "hash", params: this.#params, password }) as Promise<string>;
  }

  verify(password: string, stored: string): Promise<boolean> {
    return this.#submit({ op: "verify", stored, password }) as Promise<boolean>;
  }

  /** queued + running, for a metric */
  get load(): number {
    return this.#queue.length + this.#running.size;
  }

  close(): void {
    this.#closed = true;
    for (const w of [...this.#idle, ...this.#running.keys()]) w.terminate();
    this.#jobs.clear();
    for (const p of [...this.#running.values(), ...this.#queue]) p.reject(new Error("closed"));
    this.#idle.length = 0;
    this.#running.clear();
    this.#queue.length = 0;
  }

  #submit(body: JobBody): Promise<string | boolean> {
    if (this.#closed) return Promise.reject(new Error("closed"));
    if (this.#idle.length === 0 && this.#queue.length >= this.#maxQueue) {
      return Promise.reject(new HasherBusyError());
    }
    const job: HashJob = { ...body, id: this.#nextId++ };
    return new Promise((resolve, reject) => {
      this.#queue.push({ job, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const worker = this.#idle.pop()!;
      const pending = this.#queue.shift()!;
      this.#running.set(worker, pending);
      worker.postMessage(pending.job);
    }
  }

  #spawn(): Worker {
    const worker = new Worker(new URL("./password_worker.ts", import.meta.url), {
      type: "module",
    });
    worker.onmessage = ({ data }: MessageEvent<HashResult>) => {
      const pending = this.#running.get(worker);
      this.#running.delete(worker);
      const jobs = (this.#jobs.get(worker) ?? 0) + 1;
      if (jobs >= this.#recycleAfter) {
        this.#jobs.delete(worker);
        worker.terminate();
        if (!this.#closed) this.#idle.push(this.#spawn());
      } else {
        this.#jobs.set(worker, jobs);
        this.#idle.push(worker);
      }
      if (pending) {
        if (data.ok) pending.resolve(data.value);
        else pending.reject(new Error(data.error));
      }
      this.#pump();
    };
    // A crashed worker (e.g. out of memory) fails its own job only and is replaced.
    worker.onerror = (event) => {
      event.preventDefault();
      const pending = this.#running.get(worker);
      this.#running.delete(worker);
      this.#jobs.delete(worker);
      worker.terminate();
      pending?.reject(new Error(`password worker failed: ${event.message}`));
      if (!this.#closed) {
        this.#idle.push(this.#spawn());
        this.#pump();
      }
    };
    return worker;
  }
}
