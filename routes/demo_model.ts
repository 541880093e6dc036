/**
 * The offline demo model as HTTP routes (mounted at /demo, so its base URL is /demo/v1), plus a
 * fetch that reaches them in-process: the demo then works before the server listens and inside
 * app.request() tests, through the very same OpenAI client and recorder as a real endpoint.
 */
import { Hono } from "hono";
import { DEMO_MODEL } from "../config.ts";
import { DemoModel, type DemoModelOptions } from "../agents/demo_model.ts";
import { errorResponse } from "../agents/demo_model_request.ts";

/** A base URL for the OpenAI client with demoFetch(app); any host works, none is resolved. */
export const DEMO_BASE_URL = "http://demo.local/demo/v1";

export function demoModelRoutes(opts: DemoModelOptions): Hono {
  const model = new DemoModel(opts);
  const app = new Hono();
  app.post("/v1/chat/completions", async (c) => {
    try {
      return await model.respond(c.req.raw);
    } catch (err) {
      return errorResponse(500, `demo model failed: ${String(err)}`, "server_error");
    }
  });
  app.get("/v1/models", (c) =>
    c.json({
      object: "list",
      data: [{ id: DEMO_MODEL, object: "model", created: 0, owned_by: "glassbox" }],
    }));
  app.all(
    "/v1/*",
    (c) =>
      errorResponse(404, `no demo endpoint ${c.req.method} ${c.req.path}`, "invalid_request_error"),
  );
  return app;
}

/**
 * A fetch for the demo's OpenAI client: every request goes straight to app.fetch (whatever its
 * host; only the path matters), never to the network. Like a real fetch, aborting the signal
 * rejects a pending call and makes a body being read fail with the abort reason; the app's
 * stream is cancelled either way.
 */
export function demoFetch(
  app: { fetch(req: Request): Response | Promise<Response> },
): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const signal = request.signal;
    signal.throwIfAborted();
    const response = await app.fetch(request);
    if (signal.aborted) {
      await response.body?.cancel(signal.reason).catch(() => {});
      throw signal.reason;
    }
    if (!response.body) return response;
    return new Response(abortable(response.body, signal), response);
  };
}

/** Copies `body`, erroring the copy and cancelling the source when the signal aborts. */
function abortable(body: ReadableStream<Uint8Array>, signal: AbortSignal) {
  const reader = body.getReader();
  let onAbort: () => void = () => {};
  return new ReadableStream<Uint8Array>({
    start(controller) {
      onAbort = () => {
        controller.error(signal.reason);
        reader.cancel(signal.reason).catch(() => {});
      };
      signal.addEventListener("abort", onAbort, { once: true });
    },
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          signal.removeEventListener("abort", onAbort);
          controller.close();
        } else controller.enqueue(value);
      } catch (err) {
        signal.removeEventListener("abort", onAbort);
        if (!signal.aborted) controller.error(err);
      }
    },
    cancel(reason) {
      signal.removeEventListener("abort", onAbort);
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
