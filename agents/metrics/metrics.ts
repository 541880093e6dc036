/**
 * Prometheus metrics (prom-client, pure JS, so it runs in `deno compile`). One registry per
 * Glassbox instance (tests start several in one process). Run and LLM-call metrics are read off
 * the spine: app.ts hands every event published on a run's topic to `observe`, so nothing in the
 * runtime knows about metrics. The rest is read when scraped: hub, writer and run counts, and a
 * database round trip; batch writes of the event writer are timed as they happen (`timedSink`).
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { HubStats } from "../spine/event_hub.ts";
import type { EventSink } from "../spine/event_writer.ts";
import {
  CUSTOM,
  customName,
  EventType,
  type LlmCallFinishedValue,
  type RunEvent,
} from "../spine/events.ts";

/** What is read at scrape time. */
export interface MetricSources {
  hub(): HubStats;
  /** Labelled hub subscribers by transport (routes/sessions.ts); `total` is ignored. */
  subscribersByTransport(): Record<string, number>;
  writerPending(): number;
  /** Request records accepted by their writer and not stored yet (record_buffer.ts unstored). */
  recordsPending(): number;
  /** Request records that queue dropped (storage could not keep up). */
  recordsDropped(): number;
  eventsWritten(): number;
  /** Events not stored because another instance had taken their run over (lease lost). */
  eventsDropped?(): number;
  activeRuns(): number;
  /** One round trip to the database; rejects when it fails. */
  pingDatabase(): Promise<unknown>;
}

export type RunOutcomeLabel = "succeeded" | "failed" | "cancelled" | "interrupted";

const LLM_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const RUN_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900];
const DB_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
const PING_TIMEOUT_MS = 3000;

export class Metrics {
  readonly registry = new Registry();
  /** RUN_STARTED times of runs not ended yet, for their duration. */
  #startedAt = new Map<string, number>();
  readonly #runs: Counter<"outcome">;
  readonly #runSeconds: Histogram<"outcome">;
  readonly #calls: Counter<"provider" | "model" | "status">;
  readonly #tokens: Counter<"model" | "kind">;
  readonly #cost: Counter<"model">;
  readonly #callSeconds: Histogram<"model" | "status">;
  readonly #ttftSeconds: Histogram<"model">;
  readonly #dbWriteSeconds: Histogram<"result">;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    this.#runs = new Counter({
      name: "glassbox_runs_total",
      help: "Runs ended, by outcome.",
      labelNames: ["outcome"],
      registers,
    });
    this.#runSeconds = new Histogram({
      name: "glassbox_run_duration_seconds",
      help: "From a run's start to its terminal event, by outcome.",
      labelNames: ["outcome"],
      buckets: RUN_BUCKETS,
      registers,
    });
    new Gauge({
      name: "glassbox_runs_active",
      help: "Runs active in this process.",
      registers,
      collect() {
        this.set(sources.activeRuns());
      },
    });
    this.#calls = new Counter({
      name: "glassbox_llm_calls_total",
      help:
        "LLM call attempts ended, by provider, model and status (ok, error, cancelled, timeout).",
      labelNames: ["provider", "model", "status"],
      registers,
    });
    this.#tokens = new Counter({
      name: "glassbox_llm_tokens_total",
      help: "Tokens the providers reported, by model and kind (input, output).",
      labelNames: ["model", "kind"],
      registers,
    });
    this.#cost = new Counter({
      name: "glassbox_llm_cost_usd_total",
      help: "Cost of LLM calls in USD, by model (calls of unknown price add nothing).",
      labelNames: ["model"],
      registers,
    });
    this.#callSeconds = new Histogram({
      name: "glassbox_llm_call_duration_seconds",
      help: "LLM call attempt duration, by model and status.",
      labelNames: ["model", "status"],
      buckets: LLM_BUCKETS,
      registers,
    });
    this.#ttftSeconds = new Histogram({
      name: "glassbox_llm_time_to_first_token_seconds",
      help: "Time to the first streamed chunk of an LLM call, by model.",
      labelNames: ["model"],
      buckets: LLM_BUCKETS,
      registers,
    });
    const hubGauge = (name: string, help: string, read: (s: HubStats) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(sources.hub()));
        },
      });
    hubGauge(
      "glassbox_hub_subscribers",
      "Streams subscribed to the event hub.",
      (s) => s.subscribers,
    );
    hubGauge("glassbox_hub_topics", "Hub topics with a subscriber.", (s) => s.topics);
    new Gauge({
      name: "glassbox_hub_subscribers_by_transport",
      help: "Run streams and log tails followed, by transport (sse_json, sse_html, websocket, " +
        "agui); the same counts as /sessions.",
      labelNames: ["transport"],
      registers,
      collect() {
        this.reset();
        for (const [transport, n] of Object.entries(sources.subscribersByTransport())) {
          if (transport !== "total") this.set({ transport }, n);
        }
      },
    });
    const hubCounter = (name: string, help: string, read: (s: HubStats) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read(sources.hub()));
        },
      });
    hubCounter(
      "glassbox_hub_cut_off_total",
      "Subscribers cut off for falling behind (they resume with Last-Event-ID).",
      (s) => s.cutOff,
    );
    hubCounter("glassbox_hub_published_total", "Events published on the hub.", (s) => s.published);
    new Gauge({
      name: "glassbox_event_writer_queue_depth",
      help: "Events accepted by the batched writer and not stored yet.",
      registers,
      collect() {
        this.set(sources.writerPending());
      },
    });
    new Gauge({
      name: "glassbox_log_record_queue_depth",
      help: "HTTP request records accepted by their batched writer and not stored yet.",
      registers,
      collect() {
        this.set(sources.recordsPending());
      },
    });
    new Counter({
      name: "glassbox_log_records_dropped_total",
      help:
        "HTTP request records dropped because storage could not keep up (the queue is bounded).",
      registers,
      collect() {
        this.reset();
        this.inc(sources.recordsDropped());
      },
    });
    new Counter({
      name: "glassbox_events_written_total",
      help: "Events stored by the batched writer.",
      registers,
      collect() {
        this.reset();
        this.inc(sources.eventsWritten());
      },
    });
    new Counter({
      name: "glassbox_events_dropped_total",
      help: "Events not stored because another instance took their run over while this one's " +
        "lease was lost (the other's terminal event stands).",
      registers,
      collect() {
        this.reset();
        this.inc(sources.eventsDropped?.() ?? 0);
      },
    });
    this.#dbWriteSeconds = new Histogram({
      name: "glassbox_db_event_write_seconds",
      help: "Duration of the event writer's batch inserts, by result (ok, error).",
      labelNames: ["result"],
      buckets: DB_BUCKETS,
      registers,
    });
    const up = new Gauge({ name: "glassbox_db_up", help: "1 when the ping answered.", registers });
    new Gauge({
      name: "glassbox_db_ping_seconds",
      help: "One round trip to the database (SELECT 1), measured at scrape (3 s at most).",
      registers,
      async collect() {
        const t0 = performance.now();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const ok = await Promise.race([
          sources.pingDatabase().then(() => true, () => false),
          new Promise<false>((r) => timer = setTimeout(() => r(false), PING_TIMEOUT_MS)),
        ]);
        clearTimeout(timer);
        this.set((performance.now() - t0) / 1000);
        up.set(ok ? 1 : 0);
      },
    });
    new Gauge({
      name: "glassbox_process_resident_memory_bytes",
      help: "Resident set size of the process.",
      registers,
      collect() {
        this.set(Deno.memoryUsage().rss);
      },
    });
  }

  /** Each event published on a run's topic, once. */
  observe(ev: RunEvent): void {
    const e = ev.event;
    if (e.type === EventType.RUN_STARTED) {
      this.#startedAt.set(ev.runId, ev.createdAt);
    } else if (e.type === EventType.RUN_FINISHED || e.type === EventType.RUN_ERROR) {
      const outcome = runOutcome(ev);
      this.#runs.inc({ outcome });
      const started = this.#startedAt.get(ev.runId);
      this.#startedAt.delete(ev.runId);
      if (started !== undefined) {
        this.#runSeconds.observe({ outcome }, (ev.createdAt - started) / 1000);
      }
    } else if (customName(e) === CUSTOM.llmCallFinished) {
      this.#llmCall((e as { value: LlmCallFinishedValue }).value);
    }
  }

  #llmCall(v: LlmCallFinishedValue): void {
    const { model, status } = v;
    this.#calls.inc({ provider: v.provider, model, status });
    if (v.inputTokens) this.#tokens.inc({ model, kind: "input" }, v.inputTokens);
    if (v.outputTokens) this.#tokens.inc({ model, kind: "output" }, v.outputTokens);
    // Zero still makes the series exist, so a rate over it is 0 rather than absent.
    this.#cost.inc({ model }, v.costUsd ?? 0);
    this.#callSeconds.observe({ model, status }, v.durationMs / 1000);
    if (v.ttftMs !== null) this.#ttftSeconds.observe({ model }, v.ttftMs / 1000);
  }

  /** The event writer's sink, its batch writes timed. */
  timedSink(sink: EventSink): EventSink {
    return {
      store: async (batch) => {
        const end = this.#dbWriteSeconds.startTimer();
        try {
          await sink.store(batch);
          end({ result: "ok" });
        } catch (err) {
          end({ result: "error" });
          throw err;
        }
      },
    };
  }

  /** The exposition text, and its content type. */
  async scrape(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}

/** The run's status as stored (runs.status), from its terminal event. */
export function runOutcome(ev: RunEvent): RunOutcomeLabel {
  const e = ev.event;
  if (e.type === EventType.RUN_ERROR) return e.code === "interrupted" ? "interrupted" : "failed";
  const outcome = (e as { outcome?: { type?: string } }).outcome;
  return outcome?.type === "cancelled" ? "cancelled" : "succeeded";
}
