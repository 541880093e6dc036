/**
 * The offline demo model over real HTTP at /demo/v1 (OpenAI-compatible: chat completions and
 * models), for any OpenAI client; the same handler our own client reaches in-process. Only while
 * the team uses the demo model (`inUse`, asked per request: a reload may switch to a real model):
 * otherwise the path does not exist.
 */
import { Hono } from "hono";
import { DEMO_PATH, type DemoHandler } from "../../agents/demo/handler.ts";
import { apiError } from "../errors.ts";

export function demoRoutes(demo: DemoHandler, inUse: () => boolean = () => true): Hono {
  const app = new Hono();
  app.all(`${DEMO_PATH}/v1/*`, (c) => {
    if (!inUse()) return apiError(c, 404, "not_found", "the demo model is not in use here");
    return demo(c.req.raw);
  });
  return app;
}
