import assert from "node:assert/strict";
import { CUSTOM, custom, type RunEvent } from "./events.ts";
import { encodeJsonEnvelope, encodeJsonEvent, sseFrame } from "./sse.ts";
import { parseSse, sseReader } from "../../tests/support/sse_client.ts";

const td = new TextDecoder();
const ev: RunEvent = {
  id: 42,
  runId: "r1",
  seq: 7,
  createdAt: 1_700_000_000_000,
  event: custom(CUSTOM.progress, { percent: 50, message: "line 1\nline 2\r\n" }),
};

Deno.test("sseFrame: fields in order, multi-line data split, CRLF and CR normalised", () => {
  assert.equal(
    sseFrame({ id: 3, event: "done", retry: 500, data: "a\r\nb\rc\nd" }),
    "event: done\nid: 3\nretry: 500\ndata: a\ndata: b\ndata: c\ndata: d\n\n",
  );
  assert.equal(sseFrame({ data: "" }), "data: \n\n");
  assert.equal(sseFrame({ data: " lead" }), "data:  lead\n\n"); // the client strips one space
  assert.throws(() => sseFrame({ event: "a\nb", data: "" }), TypeError);
  assert.throws(() => sseFrame({ id: "a\0b", data: "" }), TypeError);
  assert.throws(() => sseFrame({ retry: -1, data: "" }), RangeError);
});

Deno.test("sseFrame round-trips through eventsource-parser; comments and data-less messages skipped", () => {
  const text = ": hi\n\n" + sseFrame({ id: 1, data: "x\ny" }) + "id: 9\n\n" +
    sseFrame({ event: "e", data: "z", retry: 10 });
  assert.deepEqual(parseSse(text), [
    { id: "1", data: "x\ny" }, // unnamed: EventSource's "message"
    { event: "e", data: "z", retry: 10 },
  ]);
  assert.deepEqual(parseSse("data: unterminated"), []);
});

Deno.test("the test SSE reader: pieces split anywhere, even inside a CRLF", () => {
  const text = "id: 1\r\ndata: a\r\n\r\ndata:b\r\rdata: c\n\n";
  for (let cut = 0; cut <= text.length; cut++) {
    const p = sseReader();
    const got = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
    assert.deepEqual(got.map((m) => m.data), ["a", "b", "c"], `cut at ${cut}`);
  }
});

Deno.test("encodeJsonEvent: SSE id is the event id, data is the AG-UI event unchanged", () => {
  const [m] = parseSse(td.decode(encodeJsonEvent(ev)));
  assert.equal(m.id, "42");
  assert.equal(m.event, undefined); // unnamed: EventSource's "message"
  assert.deepEqual(JSON.parse(m.data), ev.event);
});

Deno.test("encodeJsonEnvelope: data is {id, runId, seq, createdAt, event}", () => {
  const [m] = parseSse(td.decode(encodeJsonEnvelope(ev)));
  assert.equal(m.id, "42");
  assert.deepEqual(JSON.parse(m.data), ev);
  assert.deepEqual(Object.keys(JSON.parse(m.data)), ["id", "runId", "seq", "createdAt", "event"]);
});
