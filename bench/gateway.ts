/**
 * Section 9: what the recording gateway adds to a call. The same npm:openai client streams the
 * same 20-chunk answer from the scripted server twice per round, interleaved: straight to the
 * upstream, and through a Glassbox's /llm/v1 (recording ON: one llm_calls row per call on a fresh
 * local Postgres, the session's events on the spine). Reported: the whole call and the first
 * content chunk, p50 and p99, and the difference.
 */
import OpenAI from "openai";
import { startScriptedLlm } from "../tests/support/scripted_llm.ts";
import { type Cleanup, gatewayGlassbox, num, summarize, table } from "./support.ts";

const CHUNKS = Array.from({ length: 20 }, (_, i) => `token${i} `);

export async function gatewayOverhead(
  cleanup: Cleanup,
  o: { calls: number; warmUp: number },
): Promise<string> {
  const llm = startScriptedLlm();
  cleanup.add("stop scripted LLM server", () => llm.close());
  const { db, gb, key } = await gatewayGlassbox(cleanup, llm.url);
  const direct = new OpenAI({ baseURL: llm.url, apiKey: "bench", maxRetries: 0 });
  const gateway = new OpenAI({
    baseURL: `${gb.url}/llm/v1`,
    apiKey: key,
    maxRetries: 0,
    defaultHeaders: { "x-glassbox-session": "bench" },
  });
  const expected = CHUNKS.join("");
  const call = (client: OpenAI) => async (total: number[], first: number[]) => {
    llm.push({ kind: "text", chunks: CHUNKS });
    const t0 = performance.now();
    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Say twenty words." }],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta?.content ?? "";
      if (delta && !text) first.push(performance.now() - t0);
      text += delta;
    }
    total.push(performance.now() - t0);
    if (text !== expected) throw new Error("wrong answer");
  };
  const variants = [call(direct), call(gateway)];
  const scratch: number[] = [];
  for (let i = 0; i < o.warmUp; i++) for (const v of variants) await v(scratch, scratch);
  const total: number[][] = [[], []];
  const first: number[][] = [[], []];
  for (let i = 0; i < o.calls; i++) {
    for (let k = 0; k < 2; k++) {
      const v = (i + k) % 2;
      await variants[v](total[v], first[v]);
    }
  }
  await gb.glassbox.deps.llmCalls.flush(); // rows are queued, not awaited on the call's path
  const [{ n }] = await db.sql`SELECT count(*)::int AS n FROM llm_calls`;
  if (n !== o.calls + o.warmUp) throw new Error(`recorded ${n} of ${o.calls + o.warmUp} calls`);
  const [dt, gt] = total.map(summarize);
  const [df, gf] = first.map(summarize);
  return [
    table([
      "path",
      "calls",
      "call p50 ms",
      "call p99 ms",
      "first chunk p50 ms",
      "first chunk p99 ms",
    ], [
      [
        "straight to the upstream",
        num(dt.n, 0),
        num(dt.p50),
        num(dt.p99),
        num(df.p50),
        num(df.p99),
      ],
      [
        "through the gateway (recording)",
        num(gt.n, 0),
        num(gt.p50),
        num(gt.p99),
        num(gf.p50),
        num(gf.p99),
      ],
      [
        "**added by the gateway**",
        "",
        num(gt.p50 - dt.p50),
        num(gt.p99 - dt.p99),
        num(gf.p50 - df.p50),
        num(gf.p99 - df.p99),
      ],
    ]),
    "",
    `The same npm:openai client streams the same 20-chunk answer (tests/support/scripted_llm.ts, ` +
    `loopback HTTP); ${o.warmUp} warm-up rounds, then ${o.calls} interleaved rounds, alternating ` +
    "which goes first. Through the gateway each call is also authenticated by key, forwarded with " +
    "usage requested (and the usage chunk removed again), recorded as one llm_calls row (queued) " +
    "on a fresh local Postgres, and its span, text and totals emitted into the session's run.",
  ].join("\n");
}
