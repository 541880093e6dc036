/**
 * fetch() for model endpoints, made on a worker thread, so the model is read at its own pace.
 *
 * Why: on the main thread a streamed response is read one HTTP chunk per turn of the event
 * loop, and while a run is streamed to thousands of viewers a turn lasts as long as writing to
 * all of them (measured with the shared fan-out harness at 5,000 viewers: the model's next chunk
 * reached the run 40–80 ms after the previous fan-out had been handed to Deno.serve, one chunk
 * per fan-out, with the rest of the model's burst queued in its connection). The worker reads
 * the body as it arrives; each pull of the main thread's reader takes everything read since, as
 * one chunk, so one long turn costs one message, not one chunk per turn, and the journal's
 * coalescing (agents/spine/journal.ts) gets the whole backlog at once.
 *
 * It is a fetch, nothing more: the same Request in, the same Response out (status, headers,
 * streamed body), aborts and errors as fetch() has them (the signal's reason; a TypeError when
 * the connection fails or breaks off), so the openai client and the gateway use it unchanged.
 */
import type { FromWorker, ToWorker } from "./worker_fetch_protocol.ts";

interface Call {
  head: PromiseWithResolvers<Response>;
  body?: ReadableStreamDefaultController<Uint8Array>;
  /** Resolves the stream's pull() once the worker has sent what it had. */
  pulled?: () => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** Statuses whose Response must have no body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

export class WorkerFetch {
  #worker: Worker | undefined;
  #nextId = 1;
  #calls = new Map<number, Call>();
  #closed = false;

  readonly fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> =>
    this.#fetch(new Request(input, init));

  /** Ends the worker; calls still open fail. */
  close(): void {
    this.#closed = true;
    this.#failAll("the model connection was closed (shutting down)");
    this.#worker?.terminate();
    this.#worker = undefined;
  }

  async #fetch(req: Request): Promise<Response> {
    if (this.#closed) throw new TypeError("the model connection was closed (shutting down)");
    const signal = req.signal;
    const body = req.body ? await req.arrayBuffer() : null;
    signal.throwIfAborted();
    const id = this.#nextId++;
    const call: Call = { head: Promise.withResolvers<Response>(), signal };
    call.onAbort = () => this.#abort(id, signal.reason);
    signal.addEventListener("abort", call.onAbort, { once: true });
    this.#calls.set(id, call);
    const msg: ToWorker = {
      type: "request",
      id,
      url: req.url,
      method: req.method,
      headers: [...req.headers],
      body,
      redirect: req.redirect,
    };
    this.#post(msg, body ? [body] : []);
    return await call.head.promise;
  }

  #post(msg: ToWorker, transfer: Transferable[] = []): void {
    this.#ensureWorker().postMessage(msg, { transfer });
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL("./fetch_worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = ({ data }: MessageEvent<FromWorker>) => this.#receive(data);
    // A worker that crashed fails the calls it had; the next call starts a new one.
    worker.onerror = (event) => {
      event.preventDefault();
      this.#failAll(`the model connection's worker failed: ${event.message}`);
      worker.terminate();
      if (this.#worker === worker) this.#worker = undefined;
    };
    return this.#worker = worker;
  }

  #receive(msg: FromWorker): void {
    const call = this.#calls.get(msg.id);
    if (!call) return; // aborted meanwhile
    if (msg.type === "head") {
      const stream = NULL_BODY.has(msg.status) ? null : new ReadableStream<Uint8Array>({
        start: (c) => void (call.body = c),
        pull: () =>
          new Promise<void>((resolve) => {
            call.pulled = resolve;
            this.#post({ type: "pull", id: msg.id });
          }),
        cancel: () => this.#abort(msg.id),
      }, { highWaterMark: 0 });
      if (!stream) this.#finish(msg.id, call);
      call.head.resolve(
        new Response(stream, {
          status: msg.status,
          statusText: msg.statusText,
          headers: msg.headers,
        }),
      );
    } else if (msg.type === "data") {
      if (msg.chunk) call.body?.enqueue(msg.chunk);
      if (msg.done) {
        call.body?.close();
        this.#finish(msg.id, call);
      }
      call.pulled?.();
      call.pulled = undefined;
    } else {
      this.#fail(msg.id, call, new TypeError(msg.message));
    }
  }

  /** The caller's signal fired, or the body was cancelled: the worker stops the request. */
  #abort(id: number, reason?: unknown): void {
    const call = this.#calls.get(id);
    if (!call) return;
    this.#worker?.postMessage({ type: "abort", id } satisfies ToWorker);
    this.#fail(id, call, reason ?? new DOMException("The request was aborted", "AbortError"));
  }

  #fail(id: number, call: Call, error: unknown): void {
    this.#finish(id, call);
    call.head.reject(error);
    try {
      call.body?.error(error);
    } catch {
      // Already closed or errored: nothing reads it any more.
    }
    call.pulled?.();
  }

  #finish(id: number, call: Call): void {
    this.#calls.delete(id);
    if (call.onAbort) call.signal?.removeEventListener("abort", call.onAbort);
  }

  #failAll(message: string): void {
    for (const [id, call] of [...this.#calls]) this.#fail(id, call, new TypeError(message));
  }
}
