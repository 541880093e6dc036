/**
 * Section 3: what recording costs per LLM call (issue 8's target: ≤ 0.5 ms p50 over the bare
 * client, every row still written). Against the same scripted server over real HTTP, the same
 * 20-chunk streamed answer, the same number of calls, interleaved call by call (rotating which
 * goes first) and in several repetitions so that drift and other engineers' load fall on all
 * alike:
 *
 *   (a) the bare npm:openai client;
 *   (b) RecordingLlmClient, the in-app path, with the app's queued LlmCallRecorder on a fresh
 *       local Postgres (the row is stored off the call's path);
 *   (b′) the same wrapper with its row thrown away (no recorder work at all): what is the
 *       wrapper's own;
 *   (b″) (b) with the model fetched on the worker thread, as app.ts configures it
 *       (agents/llm/worker_fetch.ts): the transport's share, apart from recording's;
 *   (c) the same npm:openai client through a Glassbox's gateway (/llm/v1: key check, session,
 *       forward, the row on the same kind of queue), same upstream.
 *
 * Afterwards every row is counted in its database: (b) and (c) must have one per call.
 */
import OpenAI from "openai";
import {
  createOpenAi,
  RecordingLlmClient,
  type RecordingLlmClientOptions,
} from "../agents/llm/recording_client.ts";
import type { LlmCallScope, LlmRequest } from "../agents/llm/types.ts";
import { DEFAULT_PRICES } from "../config/cost.ts";
import { LlmCallRecorder } from "../agents/llm/call_recorder.ts";
import { WorkerFetch } from "../agents/llm/worker_fetch.ts";
import { LOCAL_USER_ID } from "../db/users.ts";
import { startScriptedLlm } from "../tests/support/scripted_llm.ts";
import {
  type Cleanup,
  freshPostgres,
  gatewayGlassbox,
  makeRuns,
  num,
  summarize,
  table,
} from "./support.ts";

const CHUNKS = Array.from({ length: 20 }, (_, i) => `token${i} `);
const REQ: LlmRequest = {
  model: "gpt-4o-mini",
  messages: [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "Say twenty words." },
  ],
};

export async function llmOverhead(
  cleanup: Cleanup,
  o: { calls: number; warmUp: number; reps: number },
): Promise<string> {
  const db = await freshPostgres(cleanup);
  const [runId] = await makeRuns(db, 1);
  const [{ conversation_id: conversationId }] = await db
    .sql`SELECT conversation_id FROM runs WHERE id = ${runId}`;
  const llm = startScriptedLlm();
  cleanup.add("stop scripted LLM server", () => llm.close());
  const openai = createOpenAi({ baseURL: llm.url, apiKey: "bench" });
  // As app.ts configures it (default content logging: truncate at 1,000 characters).
  const modelFetch = new WorkerFetch();
  cleanup.add("stop the model fetch worker", () => modelFetch.close());
  const onWorker = createOpenAi({ baseURL: llm.url, apiKey: "bench", fetch: modelFetch.fetch });
  const client = (recorder: RecordingLlmClientOptions["recorder"], via = openai) =>
    new RecordingLlmClient({
      openai: via,
      recorder,
      provider: "scripted",
      contentLogging: { mode: "truncate", chars: 1000 },
      prices: DEFAULT_PRICES,
      idleTimeoutMs: 30_000,
      maxAttempts: 3,
    });
  let refused = "";
  const recorder = new LlmCallRecorder(db.sql, {
    onRejected: (_row, err) => void (refused ||= String(err)),
  });
  const recording = client(recorder);
  const noRow = client({ record: () => {} });
  const asInApp = client(recorder, onWorker);
  const scope: LlmCallScope = {
    runId,
    conversationId,
    userId: LOCAL_USER_ID,
    agentName: "bench",
    operation: "chat",
    parentSpanId: null,
  };

  // The gateway: a Glassbox of its own (own database) in front of the same scripted server.
  const { db: gdb, gb, key } = await gatewayGlassbox(cleanup, llm.url);
  const viaGateway = new OpenAI({
    baseURL: `${gb.url}/llm/v1`,
    apiKey: key,
    maxRetries: 0,
    defaultHeaders: { "x-glassbox-session": "bench" },
  });
  const expected = CHUNKS.join("");

  const openaiCall = (c: OpenAI) => async () => {
    llm.push({ kind: "text", chunks: CHUNKS });
    const stream = await c.chat.completions.create({
      ...REQ,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    if (text !== expected) throw new Error("openai client: wrong answer");
  };
  const wrapped = (c: RecordingLlmClient) => async () => {
    llm.push({ kind: "text", chunks: CHUNKS });
    let deltas = 0;
    const res = await c.stream(REQ, scope, { onTextDelta: () => void deltas++ });
    if (res.text !== expected || deltas !== CHUNKS.length) {
      throw new Error("recording client: wrong answer");
    }
  };
  const variants = [
    { label: "(a) bare npm:openai", fn: openaiCall(openai) },
    { label: "(b) RecordingLlmClient + queued llm_calls row (in-app)", fn: wrapped(recording) },
    { label: "(b′) RecordingLlmClient, row thrown away", fn: wrapped(noRow) },
    { label: "(b″) (b) with the model fetched on the worker (as app.ts)", fn: wrapped(asInApp) },
    { label: "(c) npm:openai through the gateway (recording)", fn: openaiCall(viaGateway) },
  ];
  const timed = async (fn: () => Promise<void>, into: number[]) => {
    const t0 = performance.now();
    await fn();
    into.push(performance.now() - t0);
  };

  for (let i = 0; i < o.warmUp; i++) for (const v of variants) await v.fn();
  const all: number[][] = variants.map(() => []);
  /** Per repetition: each variant's p50. */
  const repP50: number[][] = [];
  for (let rep = 0; rep < o.reps; rep++) {
    const times: number[][] = variants.map(() => []);
    // Interleaved, rotating which goes first, so drift and GC fall on all alike.
    for (let i = 0; i < o.calls; i++) {
      for (let k = 0; k < variants.length; k++) {
        const v = (i + k) % variants.length;
        await timed(variants[v].fn, times[v]);
      }
    }
    times.forEach((t, v) => all[v].push(...t));
    repP50.push(times.map((t) => summarize(t).p50));
  }
  const made = o.warmUp + o.calls * o.reps;
  await recorder.flush();
  await gb.glassbox.deps.llmCalls.flush();
  const [{ n: inApp }] = await db
    .sql`SELECT count(*)::int AS n FROM llm_calls WHERE run_id = ${runId}`;
  const inAppMade = 2 * made; // (b) and (b″)
  const [{ n: gateway }] = await gdb.sql`SELECT count(*)::int AS n FROM llm_calls`;
  if (inApp !== inAppMade || refused) {
    throw new Error(`in-app: recorded ${inApp} of ${inAppMade} calls ${refused}`);
  }
  if (gateway !== made) throw new Error(`gateway: recorded ${gateway} of ${made} calls`);

  const s = all.map(summarize);
  const over = (v: number) => {
    const perRep = repP50.map((r) => r[v] - r[0]);
    return [
      `**${variants[v].label.slice(0, 4).trim()} − (a)**`,
      "",
      num(s[v].p50 - s[0].p50),
      num(s[v].p95 - s[0].p95),
      `${num(Math.min(...perRep))} … ${num(Math.max(...perRep))}`,
    ];
  };
  return [
    table(["client", "calls", "p50 ms", "p95 ms", "p50 per repetition ms"], [
      ...variants.map((v, i) => [
        v.label,
        num(s[i].n, 0),
        num(s[i].p50),
        num(s[i].p95),
        repP50.map((r) => num(r[i])).join(" / "),
      ]),
      over(1),
      over(2),
      over(3),
      over(4),
    ]),
    "",
    `Rows written: in-app ((b) and (b″)) ${inApp} of ${inAppMade}, gateway ${gateway} of ${made} (warm-up included), ` +
    `counted in Postgres after the queues flushed. All five stream the same 20-chunk answer ` +
    `(usage requested) from tests/support/scripted_llm.ts over loopback HTTP; ${o.warmUp} ` +
    `warm-up rounds, then ${o.reps} repetitions of ${o.calls} interleaved rounds (one call of ` +
    `each per round, rotating which goes first). The "− (a)" rows compare p50s and p95s of all ` +
    `repetitions pooled, and give the range of the per-repetition p50 differences.`,
  ].join("\n");
}
