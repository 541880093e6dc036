import assert from "node:assert/strict";
import OpenAI from "openai";
import { demoHandler } from "../../agents/demo/handler.ts";
import { demoRoutes } from "./demo.ts";

Deno.test("demo route: the demo handler answers at /demo/v1 on the app, nothing else", async () => {
  const app = demoRoutes(demoHandler({ chunkDelayMs: 0 }));
  const client = new OpenAI({
    baseURL: "http://localhost/demo/v1",
    apiKey: "unused",
    fetch: (input, init) => Promise.resolve(app.request(new Request(input, init))),
    maxRetries: 0,
  });
  assert.deepEqual((await client.models.list()).data.map((m) => m.id), ["glassbox-demo"]);
  const answer = await client.chat.completions.create({
    model: "glassbox-demo",
    messages: [{ role: "user", content: "hello" }],
  });
  assert.match(answer.choices[0].message.content ?? "", /offline demo model/);
  const outside = await app.request("/demo/other");
  assert.equal(outside.status, 404);
  await outside.body?.cancel();
});
