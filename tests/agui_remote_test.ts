/**
 * Remote AG-UI agents over real HTTP: a team file's `kind: agui` agent, served by a small HTTP
 * server in the test that writes its events with npm `@ag-ui/encoder` (as an AG-UI framework
 * adapter does), driven by Glassbox with @ag-ui/client. Its events land in the run's journal
 * (stored, on the page), an event that fails AG-UI's schema is reported and dropped, the run id
 * reaches it (header and forwarded props) and a gateway call it makes with that id joins the
 * run's tree; Stop aborts its stream; an error or an early close fails the run with a clear
 * message.
 */
import assert from "node:assert/strict";
import { EventEncoder } from "@ag-ui/encoder";
import { EventType, type RunAgentInput } from "@ag-ui/core";
import { skipWithoutPostgres } from "./support/db.ts";
import { type Script, startScriptedLlm } from "./support/scripted_llm.ts";
import { postJson } from "./support/server.ts";
import { sseMessages } from "./support/sse_client.ts";
import { customValues, startTeam } from "./support/team.ts";
import { waitFor } from "./support/wait.ts";

const ignore = await skipWithoutPostgres();

interface Seen {
  input: RunAgentInput;
  headers: Headers;
  aborted: Promise<void>;
}

/**
 * An AG-UI agent whose behaviour is the last user message: ok, hang, error, early, call-hang (a
 * gateway call for its run, then it waits; the call's answer goes into `answers`).
 */
function startRemote(gateway: () => string) {
  const seen: Seen[] = [];
  const answers: { status: number; body: { error?: { code: string; message: string } } }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const input = await req.json() as RunAgentInput;
    let aborted!: () => void;
    seen.push({ input, headers: req.headers, aborted: new Promise((r) => aborted = r) });
    const encoder = new EventEncoder({ accept: req.headers.get("accept") ?? undefined });
    const mode = String(input.messages.at(-1)?.content ?? "");
    const { threadId, runId } = input;
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        const send = (ev: Record<string, unknown>) =>
          controller.enqueue(new TextEncoder().encode(encoder.encode(ev as never)));
        send({ type: EventType.RUN_STARTED, threadId, runId });
        send({ type: EventType.TEXT_MESSAGE_START, messageId: "r1", role: "assistant" });
        send({ type: EventType.TEXT_MESSAGE_CONTENT, messageId: "r1", delta: "Hello from " });
        // Not AG-UI: a delta must be a string.
        controller.enqueue(
          new TextEncoder().encode(
            `data: ${
              JSON.stringify({ type: "TEXT_MESSAGE_CONTENT", messageId: "r1", delta: 5 })
            }\n\n`,
          ),
        );
        if (mode === "hang") return; // until Glassbox goes away
        if (mode === "call-hang") {
          const res = await postJson(`${gateway()}/llm/v1/chat/completions`, {
            model: "gpt-test",
            messages: [{ role: "user", content: "a long one" }],
          }, { "x-glassbox-run": req.headers.get("x-glassbox-run")! });
          answers.push({ status: res.status, body: await res.json() });
          return;
        }
        if (mode === "early") return controller.close();
        if (mode === "error") {
          send({ type: EventType.RUN_ERROR, message: "the remote's database is down" });
          return controller.close();
        }
        // A call through the gateway with the run id it was given: it joins the run's tree.
        const res = await postJson(`${gateway()}/llm/v1/chat/completions`, {
          model: "gpt-test",
          messages: [{ role: "user", content: "sub-question" }],
        }, {
          "x-glassbox-run": req.headers.get("x-glassbox-run")!,
          "x-glassbox-agent": "remote_llm",
        });
        const answer = (await res.json()).choices[0].message.content;
        send({ type: EventType.TEXT_MESSAGE_CONTENT, messageId: "r1", delta: `remote: ${answer}` });
        send({ type: EventType.TEXT_MESSAGE_END, messageId: "r1" });
        send({ type: EventType.RUN_FINISHED, threadId, runId });
        controller.close();
      },
      cancel() {
        aborted();
      },
    });
    return new Response(stream, { headers: { "content-type": encoder.getContentType() } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/agent`,
    seen,
    answers,
    close: () => server.shutdown(),
  };
}

const TEAM = `
agents:
  remote_helper:
    kind: agui
    title: Remote helper
    description: An agent that runs elsewhere
    url: \${REMOTE_URL}
    headers: { Authorization: "Bearer \${REMOTE_TOKEN}" }
`;

async function stack(scripts: Script[] = [{ kind: "text", chunks: ["sunny"] }]) {
  const llm = startScriptedLlm(scripts);
  let base = "";
  const remote = startRemote(() => base);
  const team = await startTeam(TEAM, {
    REMOTE_URL: remote.url,
    REMOTE_TOKEN: "remote-token",
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: "upstream",
    GLASSBOX_PRICES: JSON.stringify({ "gpt-test": { input: 1, output: 2 } }),
  });
  base = team.gb.url;
  return {
    team,
    remote,
    llm,
    async [Symbol.asyncDispose]() {
      await team.close();
      await remote.close();
      await llm.close();
    },
  };
}

Deno.test({
  name: "AG-UI remote: its events are the run's; its gateway call joins the tree",
  ignore,
}, async () => {
  await using s = await stack();
  const { status, body } = await s.team.chat({ message: "ok", agent: "remote_helper" });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.status, "succeeded");
  assert.equal(body.answer, "Hello from remote: sunny");
  const runId = body.run_id as string;

  const [seen] = s.remote.seen;
  assert.equal(seen.headers.get("authorization"), "Bearer remote-token");
  assert.equal(seen.headers.get("x-glassbox-run"), runId);
  assert.equal(
    (seen.input.forwardedProps as { glassbox: { runId: string } }).glassbox.runId,
    runId,
  );
  assert.equal(seen.input.runId, runId);
  assert.deepEqual(seen.input.messages.map((m) => [m.role, m.content]), [["user", "ok"]]);

  const events = await s.team.events(runId);
  const types = events.map((e) => e.type);
  assert.equal(types[0], "RUN_STARTED");
  assert.equal(types.filter((t) => t === "RUN_STARTED").length, 1, "the remote's is not repeated");
  assert.equal(types.at(-1), "RUN_FINISHED");
  const deltas = events.flatMap((e) => e.type === "TEXT_MESSAGE_CONTENT" ? [e.delta] : []);
  assert.equal(deltas.join(""), "Hello from remote: sunny", "the invalid event was not passed on");
  const logs = customValues<{ message: string; level: string }>(events, "glassbox.log");
  assert.ok(
    logs.some((l) => l.level === "warning" && /not valid AG-UI/.test(l.message)),
    JSON.stringify(logs),
  );
  const calls = customValues<{ agent: string; inputTokens: number }>(
    events,
    "glassbox.llm_call_finished",
  );
  assert.deepEqual(calls.map((c) => c.agent), ["remote_llm"], "the gateway call is in the tree");
  const [row] = await s.team.sql`SELECT run_id, agent_name FROM llm_calls`;
  assert.equal(row.run_id, runId);

  // The gateway call adds to the run's totals like the run's own calls: in its answer, its
  // RUN_FINISHED and what the API reads from the stored calls.
  const cost = (10 * 1 + 1 * 2) / 1e6;
  assert.deepEqual(body.usage, {
    llm_calls: 1,
    input_tokens: 10,
    output_tokens: 1,
    cost_usd: cost,
  });
  const finished = events.at(-1) as unknown as {
    result: { llmCalls: number; inputTokens: number; costUsd: number };
    usage: { model: string; inputTokens: number }[];
  };
  assert.equal(finished.result.llmCalls, 1);
  assert.equal(finished.result.inputTokens, 10);
  assert.equal(finished.result.costUsd, cost);
  assert.deepEqual(finished.usage.map((u) => [u.model, u.inputTokens]), [["gpt-test", 10]]);
  const run = await (await fetch(`${s.team.gb.url}/api/v1/runs/${runId}`)).json();
  assert.deepEqual(
    [run.usage.llm_calls, run.usage.input_tokens, run.usage.output_tokens, run.usage.cost_usd],
    [1, 10, 1, cost],
  );

  const page = await (await fetch(`${s.team.gb.url}/c/${body.conversation_id}`)).text();
  assert.match(page, /Hello from remote: sunny/);
  assert.match(page, /remote_llm/);
});

Deno.test({
  name: "AG-UI remote: Stop aborts its stream; errors and early ends fail the run",
  ignore,
}, async () => {
  await using s = await stack();
  const res = await postJson(`${s.team.gb.url}/api/v1/chat/stream`, {
    message: "hang",
    agent: "remote_helper",
  });
  const runId = res.headers.get("x-run-id")!;
  const it = sseMessages(res.body!);
  for (;;) {
    const { value } = await it.next();
    if (JSON.parse(value!.data).event.type === "TEXT_MESSAGE_CONTENT") break;
  }
  const cancel = await postJson(`${s.team.gb.url}/api/v1/runs/${runId}/cancel`, {});
  assert.equal((await cancel.json()).status, "cancelled");
  await waitFor(() => s.remote.seen[0].aborted.then(() => true), "the remote saw Stop");
  await it.return(undefined);

  const failed = await s.team.chat({ message: "error", agent: "remote_helper" });
  assert.equal(failed.status, 502);
  assert.equal(failed.body.status, "failed");
  assert.match((failed.body.error as { message: string }).message, /database is down/);

  const early = await s.team.chat({ message: "early", agent: "remote_helper" });
  assert.equal(early.body.status, "failed");
  const events = await s.team.events(early.body.run_id as string);
  const error = events.find((e) => e.type === "RUN_ERROR") as { message: string } | undefined;
  assert.match(error!.message, /closed its stream before the run finished/);
});

Deno.test({
  name: "AG-UI remote: Stop on its run aborts its gateway call in flight, counted and recorded",
  ignore,
}, async () => {
  await using s = await stack([{ kind: "stall", afterChunks: [] }]);
  const res = await postJson(`${s.team.gb.url}/api/v1/chat/stream`, {
    message: "call-hang",
    agent: "remote_helper",
  });
  const runId = res.headers.get("x-run-id")!;
  await waitFor(() => s.llm.requests.length === 1, "the remote's gateway call upstream");
  const cancel = await postJson(`${s.team.gb.url}/api/v1/runs/${runId}/cancel`, {});
  assert.equal((await cancel.json()).status, "cancelled");
  await res.body?.cancel();

  const answer = await waitFor(() => s.remote.answers[0], "the gateway call's answer");
  assert.equal(answer.status, 409);
  assert.equal(answer.body.error?.code, "session_stopped");
  assert.match(answer.body.error!.message, new RegExp(`run ${runId} was stopped`));
  assert.equal(await s.llm.requests[0].ended, "disconnected", "the upstream request closed");
  const rows = await s.team.sql`SELECT status, run_id FROM llm_calls`;
  assert.deepEqual(rows.map((r) => [r.status, r.run_id]), [["cancelled", runId]]);
  const events = await s.team.events(runId);
  const last = events.at(-1) as unknown as {
    type: string;
    outcome: { type: string };
    result: { llmCalls: number };
  };
  assert.equal(last.type, "RUN_FINISHED");
  assert.equal(last.outcome.type, "cancelled");
  assert.equal(last.result.llmCalls, 1, "the cancelled call counts in the run");
});
