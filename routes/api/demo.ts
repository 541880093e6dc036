/**
 * The offline demo model over real HTTP at /demo/v1 (OpenAI-compatible: chat completions and
 * models), for any OpenAI client; the same handler our own client reaches in-process.
 */
import { Hono } from "hono";
import { DEMO_PATH, type DemoHandler } from "../../agents/demo/handler.ts";

export function demoRoutes(demo: DemoHandler): Hono {
  const app = new Hono();
  app.all(`${DEMO_PATH}/v1/*`, (c) => demo(c.req.raw));
  return app;
}
