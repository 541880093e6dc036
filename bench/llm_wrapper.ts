/**
 * Section 3: what recording costs per LLM call. The bare npm:openai client and RecordingLlmClient
 * (which also queues one llm_calls row per attempt, stored on a fresh local Postgres database) stream
 * the same 20-chunk answer from the scripted server over real HTTP, interleaved call by call.
 */
import {
  createOpenAi,
  RecordingLlmClient,
  type RecordingLlmClientOptions,
} from "../agents/llm/recording_client.ts";
import type { LlmCallScope, LlmRequest } from "../agents/llm/types.ts";
import { DEFAULT_PRICES } from "../config.ts";
import { LlmCallRecorder } from "../agents/llm/call_recorder.ts";
import { startScriptedLlm } from "../tests/support/scripted_llm.ts";
import { type Cleanup, freshPostgres, makeRuns, num, summarize, table } from "./support.ts";

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
  o: { calls: number; warmUp: number },
): Promise<string> {
  const db = await freshPostgres(cleanup);
  const [runId] = await makeRuns(db, 1);
  const [{ conversation_id: conversationId }] = await db
    .sql`SELECT conversation_id FROM runs WHERE id = ${runId}`;
  const llm = startScriptedLlm();
  cleanup.add("stop scripted LLM server", () => llm.close());
  const openai = createOpenAi({ baseURL: llm.url, apiKey: "bench" });
  // As app.ts configures it (default content logging: truncate at 1,000 characters).
  const client = (recorder: RecordingLlmClientOptions["recorder"]) =>
    new RecordingLlmClient({
      openai,
      recorder,
      provider: "scripted",
      contentLogging: { mode: "truncate", chars: 1000 },
      prices: DEFAULT_PRICES,
      idleTimeoutMs: 30_000,
      maxAttempts: 3,
    });
  const recorder = new LlmCallRecorder(db.sql);
  const recording = client(recorder);
  // The same wrapper with its row thrown away, no database: splits the overhead into the
  // wrapper's own work and recording the row.
  const noInsert = client({ record: () => {} });
  const scope: LlmCallScope = {
    runId,
    conversationId,
    userId: "bench",
    agentName: "bench",
    operation: "chat",
    parentSpanId: null,
  };
  const expected = CHUNKS.join("");

  const bare = async () => {
    llm.push({ kind: "text", chunks: CHUNKS });
    const stream = await openai.chat.completions.create({
      ...REQ,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    if (text !== expected) throw new Error("bare client: wrong answer");
  };
  const wrapped = (c: RecordingLlmClient) => async () => {
    llm.push({ kind: "text", chunks: CHUNKS });
    let deltas = 0;
    const res = await c.stream(REQ, scope, { onTextDelta: () => void deltas++ });
    if (res.text !== expected || deltas !== CHUNKS.length) {
      throw new Error("recording client: wrong answer");
    }
  };
  const variants = [bare, wrapped(recording), wrapped(noInsert)];
  const timed = async (fn: () => Promise<void>, into: number[]) => {
    const t0 = performance.now();
    await fn();
    into.push(performance.now() - t0);
  };

  const times: number[][] = variants.map(() => []);
  for (let i = 0; i < o.warmUp; i++) for (const fn of variants) await fn();
  // Interleaved, rotating which goes first, so drift and GC fall on all alike.
  for (let i = 0; i < o.calls; i++) {
    for (let k = 0; k < variants.length; k++) {
      const v = (i + k) % variants.length;
      await timed(variants[v], times[v]);
    }
  }
  await recorder.flush();
  const [{ n }] = await db.sql`SELECT count(*)::int AS n FROM llm_calls WHERE run_id = ${runId}`;
  if (n !== o.calls + o.warmUp) throw new Error(`recorded ${n} of ${o.calls + o.warmUp} calls`);

  const [b, r, x] = times.map(summarize);
  const row = (
    label: string,
    s: typeof b,
  ) => [label, num(s.n, 0), num(s.mean), num(s.p50), num(s.p99)];
  return [
    table(["client", "calls", "mean ms", "p50 ms", "p99 ms"], [
      row("bare npm:openai", b),
      row("RecordingLlmClient (+ queued llm_calls row)", r),
      row("RecordingLlmClient, row thrown away", x),
      ["**overhead: recording − bare**", "", num(r.mean - b.mean), num(r.p50 - b.p50), ""],
      [
        "of which the wrapper itself (stubbed − bare)",
        "",
        num(x.mean - b.mean),
        num(x.p50 - b.p50),
        "",
      ],
    ]),
    "",
    `Both stream the same 20-chunk answer (usage requested) from tests/support/scripted_llm.ts ` +
    `over loopback HTTP; ${o.warmUp} warm-up rounds, then ${o.calls} interleaved rounds. The ` +
    "recording client adds: call ids, an idle watchdog, response accumulation, the observer " +
    "callbacks, and the awaited INSERT of the llm_calls row (local Postgres, synchronous_commit " +
    "on) before it returns. The stubbed row swaps the database for a function that resolves at " +
    "once, to show how much is the INSERT round trip.",
  ].join("\n");
}
