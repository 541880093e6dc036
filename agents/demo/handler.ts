/**
 * The offline demo model as one HTTP handler, `(Request) => Promise<Response>`, serving the
 * OpenAI-compatible endpoints under /demo/v1 (chat completions, models). The same handler is
 * reached in-process by our own client (in_process_fetch.ts) and over real HTTP through the thin
 * route routes/api/demo.ts, so the demo works before the server listens and inside app.request()
 * tests, through the very same OpenAI client and recorder as a real endpoint.
 */
import { DEMO_MODEL } from "../../config/llm.ts";
import { DemoModel, type DemoModelOptions } from "./model.ts";
import { errorResponse } from "./request.ts";

/** Where the demo is served: its OpenAI base URL is <origin>/demo/v1. */
export const DEMO_PATH = "/demo";
/** The OpenAI base URL for inProcessFetch(handler): any host works, none is resolved. */
export const DEMO_BASE_URL = `http://glassbox.demo${DEMO_PATH}/v1`;

export type DemoHandler = (request: Request) => Promise<Response>;

export function demoHandler(opts: DemoModelOptions): DemoHandler {
  const model = new DemoModel(opts);
  return async (request) => {
    const { pathname } = new URL(request.url);
    const endpoint = `${request.method} ${pathname.slice(DEMO_PATH.length)}`;
    if (pathname.startsWith(`${DEMO_PATH}/`)) {
      if (endpoint === "POST /v1/chat/completions") {
        try {
          return await model.respond(request);
        } catch (err) {
          return errorResponse(500, `demo model failed: ${String(err)}`, "server_error");
        }
      }
      if (endpoint === "GET /v1/models" || endpoint === "HEAD /v1/models") {
        return Response.json({
          object: "list",
          data: [{ id: DEMO_MODEL, object: "model", created: 0, owned_by: "glassbox" }],
        });
      }
    }
    return errorResponse(
      404,
      `no demo endpoint ${request.method} ${pathname}`,
      "invalid_request_error",
    );
  };
}
