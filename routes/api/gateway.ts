/**
 * The recording LLM gateway's OpenAI-compatible endpoints under /llm/v1 (an app sets its
 * client's base URL to `<glassbox>/llm/v1` and its key to a Glassbox key with scope `gateway`):
 * POST /chat/completions is forwarded to a provider and recorded; GET /models lists what it can
 * reach. Errors of our own are OpenAI-shaped (`{error: {code, message}}`) so clients report them.
 */
import { Hono } from "hono";
import { attribution, AttributionError } from "../../agents/gateway/attribution.ts";
import { GatewayRefusal } from "../../agents/gateway/gateway.ts";
import { listedModels } from "../../agents/gateway/models.ts";
import { viewerOf } from "../access.ts";
import type { AppDeps } from "../deps.ts";
import { apiError } from "../errors.ts";
import { requestIdOf } from "../request_log.ts";

export const GATEWAY_PATH = "/llm/v1";

export function gatewayApi(deps: AppDeps): Hono {
  const app = new Hono();

  app.post("/chat/completions", async (c) => {
    const viewer = viewerOf(c);
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return apiError(c, 400, "invalid_json", "the body is not JSON");
    }
    try {
      const who = attribution(c.req.raw.headers);
      // openai's SDKs say how often they retried; each retry is the next attempt of one call.
      const retries = Number(c.req.header("x-stainless-retry-count") ?? 0);
      return await deps.gateway.chat(
        { userId: viewer.userId, keyId: viewer.keyId ?? null, requestId: requestIdOf(c) },
        who,
        body,
        Number.isSafeInteger(retries) && retries >= 0 && retries < 100 ? retries : 0,
      );
    } catch (err) {
      if (err instanceof AttributionError) return apiError(c, 400, "invalid_header", err.message);
      if (err instanceof GatewayRefusal) {
        if (err.retryAfterS !== undefined) c.header("retry-after", String(err.retryAfterS));
        // A stopped session stays stopped: openai's SDKs would retry a 409 otherwise.
        if (err.status === 409) c.header("x-should-retry", "false");
        return apiError(c, err.status, err.code, err.message);
      }
      throw err;
    }
  });

  app.get("/models", (c) =>
    c.json({
      object: "list",
      data: listedModels(deps.gateway.providers()).map((m) => ({
        id: m.id,
        object: "model",
        created: 0,
        owned_by: m.owned_by,
      })),
    }));

  return app;
}
