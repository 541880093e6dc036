/** Messages between worker_fetch.ts (the main thread) and fetch_worker.ts. */
export type ToWorker =
  | {
    type: "request";
    id: number;
    url: string;
    method: string;
    headers: [string, string][];
    body: ArrayBuffer | null;
    redirect: RequestRedirect;
  }
  /** The main thread's reader wants the body's next bytes: everything buffered, or the next. */
  | { type: "pull"; id: number }
  | { type: "abort"; id: number };

export type FromWorker =
  | { type: "head"; id: number; status: number; statusText: string; headers: [string, string][] }
  /** What arrived since the last pull (null: nothing, the body ended). */
  | { type: "data"; id: number; chunk: Uint8Array | null; done: boolean }
  /** The request failed, or the body broke off: rejected as fetch() would (a TypeError). */
  | { type: "error"; id: number; message: string };
