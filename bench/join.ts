/**
 * Section 7: viewers joining a live run. Each joiner gets the run's history first; the hub
 * encodes a live run's history once per encoding and hands every joiner the same bytes (a later
 * joiner encodes only what was published since). Measured in process with the real EventHub and
 * both encoders on a run shaped like the runtime's output, stopped before its end: 1,000 joins per
 * encoding, and the same joins with the reuse defeated (a distinct encoder function per joiner,
 * so each has its own group: what every join cost before).
 */
import { EventHub } from "../agents/spine/event_hub.ts";
import { EventType, type RunEvent } from "../agents/spine/events.ts";
import type { Encoder } from "../agents/spine/subscriber_group.ts";
import { encodeJsonEnvelope } from "../agents/spine/sse.ts";
import { htmlEncoder } from "../views/stream/html_encoder.tsx";
import { numbered, successRun } from "../tests/support/sample_runs.ts";
import { num, table } from "./support.ts";

/** A live run: the sample run without its end, its answer streamed as `deltas` chunks. */
function liveRun(deltas: number): RunEvent[] {
  const events = successRun("run-join").map((e) => e.event);
  const cut = events.findIndex((e) => e.type === EventType.TEXT_MESSAGE_CONTENT);
  const content = events[cut] as Extract<typeof events[number], { delta: string }>;
  const chunks = Array.from({ length: deltas }, (_, i) => ({ ...content, delta: `word${i} ` }));
  const body = [...events.slice(0, cut), ...chunks, ...events.slice(cut + 1)];
  return numbered("run-join", body.filter((e) => e.type !== EventType.RUN_FINISHED));
}

function joins(history: RunEvent[], n: number, encoderFor: (i: number) => Encoder) {
  using hub = new EventHub();
  const streams: ReadableStream<Uint8Array>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    streams.push(hub.subscribe({ topic: "run:run-join", encoder: encoderFor(i), history }));
  }
  const ms = performance.now() - t0;
  for (const s of streams) void s.cancel();
  return ms;
}

export function joinBench(o: { viewers: number; deltas: number }): string {
  const history = liveRun(o.deltas);
  const rows: string[][] = [];
  const perJoin: Record<string, number> = {};
  const unshared = Math.max(10, o.viewers / 10);
  for (const [name, encoder] of [["JSON", encodeJsonEnvelope], ["HTML", htmlEncoder]] as const) {
    joins(history, 200, () => encoder); // warm-up (the JIT)
    const shared = [1, 2, 3].map(() =>
      joins(history, o.viewers, () => encoder)
    ).sort((a, b) => a - b)[1];
    const each = joins(history, unshared, () => (ev: RunEvent) => encoder(ev));
    perJoin[name] = (shared * 1000) / o.viewers;
    rows.push([
      name,
      num(o.viewers, 0),
      num(shared),
      num(perJoin[name], 1),
      num((each * 1000) / unshared, 1),
    ]);
  }
  return [
    table([
      "stream",
      "joiners",
      "all joins ms (median of 3)",
      "µs per join",
      "µs per join, history encoded per joiner",
    ], rows),
    "",
    `History: ${history.length} events (the sample run with its answer in ${o.deltas} deltas, ` +
    `not ended). HTML join / JSON join: **${num(perJoin.HTML / perJoin.JSON)}×**. The last ` +
    `column gives each of ${unshared} joiners its own encoder function, so nothing is reused: ` +
    "what each join cost before the hub kept the encoded history.",
  ].join("\n");
}
