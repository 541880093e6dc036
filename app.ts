/**
 * Builds Glassbox from its parts and plugs them together: the team file (validated first, so a
 * bad one stops start-up before anything else), the database (which the spine reaches only
 * through the id source and event sink of db/events.ts), logging, the event journals and hub,
 * accounts and access (auth/), the MCP servers, the team with its providers (the demo model
 * among them, reached in-process), the run manager with per-user limits; then the HTTP app over
 * them (routes/http_app.ts). main.ts only serves what this returns.
 */
import { Hono } from "hono";
import denoConfig from "./deno.json" with { type: "json" };
import { type Config, ConfigError } from "./config.ts";
import { isLoopbackHost } from "./config/server.ts";
import { EventHub } from "./agents/spine/event_hub.ts";
import { EventIdPool } from "./agents/spine/event_id_pool.ts";
import { EventWriter } from "./agents/spine/event_writer.ts";
import { CUSTOM, custom, type LogValue, type RunEvent } from "./agents/spine/events.ts";
import { Journals, type Publisher, runTopic } from "./agents/spine/journal.ts";
import { LlmCallRecorder } from "./agents/llm/call_recorder.ts";
import { Metrics } from "./agents/metrics/metrics.ts";
import { DEMO_BASE_URL, demoHandler } from "./agents/demo/handler.ts";
import { inProcessFetch } from "./agents/demo/in_process_fetch.ts";
import { WorkerFetch } from "./agents/llm/worker_fetch.ts";
import {
  getLogger,
  resetLogging,
  setupLogging,
  withoutRunContext,
} from "./agents/logging/logging.ts";
import { McpServers } from "./agents/mcp/servers.ts";
import { Gateway } from "./agents/gateway/gateway.ts";
import { GatewaySessions } from "./agents/gateway/sessions.ts";
import { RecordBuffer } from "./agents/logging/record_buffer.ts";
import { Retention } from "./agents/logging/retention.ts";
import { RunManager } from "./agents/runs/run_manager.ts";
import { RunLimits } from "./agents/runs/run_limits.ts";
import { AlertService } from "./agents/alerts/alerts.ts";
import { BudgetChecker } from "./agents/budgets/checker.ts";
import { configuredBudget } from "./agents/budgets/budget.ts";
import { createAuth, ensureFirstAdmin } from "./auth/auth.ts";
import { redactSecrets } from "./auth/tokens.ts";
import { TeamHolder } from "./agents/team/team_holder.ts";
import { TeamFileError } from "./agents/team/team_file.ts";
import { type Database, DatabaseLockedError, openDatabase } from "./db/client.ts";
import { eventStore } from "./db/events.ts";
import { type HttpRecord, insertHttpRecords } from "./db/log_records.ts";
import { InstanceLease } from "./agents/runs/instance_lease.ts";
import { TakeoverFence } from "./agents/runs/takeover_fence.ts";
import { RequestTail } from "./routes/request_tail.ts";
import { subscribersByTransport } from "./routes/sessions.ts";
import { demoRoutes } from "./routes/api/demo.ts";
import type { AppDeps } from "./routes/deps.ts";
import { httpApp } from "./routes/http_app.ts";
import { type EdgeSettings } from "./routes/security.ts";

export const VERSION: string = denoConfig.version;
const log = getLogger("app");

export interface Glassbox {
  app: Hono;
  deps: AppDeps;
  /**
   * Shuts down within config.shutdownTimeoutMs as a whole: refuses new runs, interrupts the
   * active ones and waits for them to record their end, ends every stream, stores what is still
   * queued, closes the database. Whatever is not stored by the deadline is counted (and logged):
   * `unstored` accepted events and LLM-call rows that are lost.
   */
  close(): Promise<{ unstored: number }>;
}

export async function createGlassbox(
  config: Config,
  opts: {
    stdout?: "json" | "pretty" | "auto";
    lowestLevel?: "debug" | "info";
    /** Where log lines go (default stdout); tests silence them. */
    writeLog?: (line: string) => void;
  } = {},
): Promise<Glassbox> {
  // A bad team file is a configuration error, reported like the environment's (exit 2).
  const teamFile = await TeamHolder.read(config).catch((err) => {
    throw err instanceof TeamFileError ? new ConfigError(err.message.split("\n")) : err;
  });
  // A data directory in use by another process is the operator's to sort out, like bad settings.
  const db: Database = await openDatabase(config).catch((err) => {
    throw err instanceof DatabaseLockedError ? new ConfigError([err.message]) : err;
  });
  const hub = new EventHub();
  const store = eventStore(db.sql);
  const metrics: Metrics = new Metrics({
    hub: () => hub.stats(),
    subscribersByTransport: () => Object.fromEntries(Object.entries(subscribersByTransport(hub))),
    writerPending: () => writer.pending,
    recordsPending: () => requests.unstored,
    recordsDropped: () => requests.dropped,
    eventsWritten: () => writer.written,
    eventsDropped: () => fence.dropped,
    activeRuns: () => runs.activeRuns,
    pingDatabase: () => db.sql`SELECT 1`,
  });
  // A write unanswered past its deadline: the connection may be dead for good; new ones.
  const writeDeadline = {
    storeTimeoutMs: config.dbWriteTimeoutMs,
    onStoreTimeout: () =>
      withoutRunContext(() => {
        log.warn("A write got no answer within {ms} ms: retrying on new connections", {
          ms: config.dbWriteTimeoutMs,
        });
        db.reset?.();
      }),
  };
  // Events of runs stopped by a lost lease are checked against a takeover before being stored.
  const fence: TakeoverFence = new TakeoverFence(metrics.timedSink(store), {
    sql: db.sql,
    self: () => lease.id,
    held: () => lease.held,
    log: getLogger("instances"),
  });
  const writer: EventWriter = new EventWriter(fence, {
    ...writeDeadline,
    // The writers' failures are no run's, whichever run's event started the write.
    onError: (err, pending) =>
      withoutRunContext(() =>
        log.error("Storing events failed ({pending} waiting): {error}", {
          pending,
          error: String(err),
        })
      ),
    onRejected: (ev, err, replaced) =>
      log.error("Event {id} (run {runId}, seq {seq}) refused by the database, {what}: {error}", {
        id: ev.id,
        runId: ev.runId,
        seq: ev.seq,
        what: replaced ? "a placeholder stored in its place" : "dropped",
        error: String(err),
      }),
  });
  // HTTP request records for the logs explorer: batched, bounded, never on the request path.
  const requests = new RecordBuffer<HttpRecord>({
    store: (batch) => insertHttpRecords(db.sql, batch),
    onError: (err, pending) =>
      withoutRunContext(() =>
        log.warn("Storing request records failed ({pending} waiting): {error}", {
          pending,
          error: String(err),
        })
      ),
  });
  const retention = new Retention(db.sql, config.retention, getLogger("retention"));
  const llmCalls = new LlmCallRecorder(db.sql, {
    ...writeDeadline,
    onError: (err, pending) =>
      withoutRunContext(() =>
        log.error("Storing LLM calls failed ({pending} waiting): {error}", {
          pending,
          error: String(err),
        })
      ),
    onRejected: (row, err) =>
      log.error("LLM call {id} stored without its content: {error}", {
        id: row.id,
        error: String(err),
      }),
  });
  // 2,048 ids ahead (refilled at 512 left): streams go on from memory through an outage that long.
  const ids = new EventIdPool(store, 2048);
  await ids.ready();
  // Request records in the live log tail: ids from the same pool, published on the log topics.
  const requestTail = new RequestTail({
    take: () => ids.take(),
    publish: (topic, ev) => hub.publish(topic, ev),
  });
  // Metrics read runs and LLM calls off the spine: each event of a run's topic, once.
  const observed: Publisher = {
    publish(topic: string, ev: RunEvent) {
      hub.publish(topic, ev);
      if (topic === runTopic(ev.runId)) metrics.observe(ev);
    },
    sending: (topic) => hub.sending(topic),
  };
  const journals = new Journals({
    ids,
    writer,
    hub: observed,
    coalesceMs: 30,
    maxPending: config.writerMaxPending,
    // At the bound (the database away too long): running runs stop, new ones are refused.
    onFull: (pending) => runs.stopForStorage(pending),
  });
  await setupLogging({
    stdout: opts.stdout ?? "auto",
    lowestLevel: opts.lowestLevel ?? "info",
    write: opts.writeLog,
    redact: redactSecrets,
    // Records made inside a run become that run's log events.
    onRunLog: (runId: string, value: LogValue) =>
      journals.get(runId)?.emit(custom(CUSTOM.log, value)),
  });
  // Runs of instances that died (here: runs this database's last process left running) end.
  let stopGatewaySessions = (): Promise<void> => Promise.resolve();
  const lease = await InstanceLease.start(db.sql, {
    leaseMs: config.instanceLeaseMs,
    embedded: db.embedded,
    onEnded: (terminal) => {
      for (const ev of terminal) hub.publish(runTopic(ev.runId), ev);
    },
    // Self-fencing: this instance's runs stop before another may take them over, its gateway
    // sessions too (once the gateway exists); every open journal is checked, so what any of
    // them emits after another instance ended its run is not stored.
    onLost: () => {
      fence.suspect(runs.stopForLease());
      fence.suspect([...journals.all()].map((j) => j.runId));
      void stopGatewaySessions();
    },
    onRenewed: () => runs.leaseRenewed(),
    log: getLogger("instances"),
  });

  // One demo model: served on the app for real HTTP, and reached in-process by our own client.
  const demoModel = demoHandler({ chunkDelayMs: config.demoChunkDelayMs });
  const auth = createAuth(db.sql, config.auth, {
    hasActiveRuns: (userId) => [...journals.all()].some((j) => j.owner === userId),
    onPurgeError: (err) =>
      log.warn("Purging ended sessions failed: {error}", { error: String(err) }),
  });
  try {
    const admin = await ensureFirstAdmin(db.sql, auth, config.auth);
    if (admin === "created" || admin === "promoted") {
      log.info("First admin {email} ready ({admin})", { email: config.auth.adminEmail, admin });
    } else if (admin === "exists" && config.auth.adminEmail) {
      log.info("An admin exists: GLASSBOX_ADMIN_EMAIL/PASSWORD are ignored and can be removed");
    }
  } catch (err) {
    auth.close();
    await lease.stop();
    await db.close();
    throw err;
  }
  const mcp = new McpServers({ clientVersion: VERSION, log: getLogger("mcp") });
  const modelFetch = new WorkerFetch();
  const teams = await TeamHolder.start(teamFile, {
    config,
    providers: {
      recorder: llmCalls,
      contentLogging: config.contentLogging,
      idleTimeoutMs: config.llmIdleTimeoutMs,
      maxAttempts: config.llmMaxAttempts,
      demoFetch: inProcessFetch(demoModel),
      modelFetch: modelFetch.fetch,
    },
    demoBaseUrl: DEMO_BASE_URL,
    mcp,
    log: getLogger("team"),
  });
  const budgets = new BudgetChecker(db.sql, {
    configured: config.cost.budgets.map(configuredBudget),
    unpriced: config.cost.unpriced,
    assumedMaxOutput: config.cost.assumedMaxOutput,
  }, () => llmCalls.flush());
  await budgets.current(); // read once now: they stay in force if the database goes away
  // Budget windows' running totals grow as calls are recorded, before their rows are stored.
  llmCalls.observe((row) => budgets.recorded(row));
  const runs = new RunManager({
    sql: db.sql,
    journals,
    llmCalls,
    instanceId: lease.id,
    teams,
    limits: new RunLimits(config.runLimits),
    cost: { budgets, guards: config.cost.guards },
    startTimeoutMs: config.requestTimeoutMs,
  });
  retention.start();
  const gateway = new Gateway({
    recorder: llmCalls,
    contentLogging: config.contentLogging,
    idleTimeoutMs: config.llmIdleTimeoutMs,
    providers: () => teams.current().providers,
    sessions: new GatewaySessions({
      sql: db.sql,
      journals,
      idleMs: config.gatewaySessionIdleMs,
      instanceId: lease.id,
      recorder: llmCalls,
      runs,
    }),
    budget: budgets,
  });
  stopGatewaySessions = () => gateway.cancelSessions();
  const edge: EdgeSettings = {
    trustProxy: config.auth.trustProxy,
    publicOrigin: config.auth.publicUrl,
    loopback: isLoopbackHost(config.host),
  };
  // Measured on its own timer; a receiver's faults stay in its deliveries, never in a run.
  const alerts = new AlertService(db.sql, config.alerts, getLogger("alerts"));
  alerts.start();
  const deps: AppDeps = {
    config,
    db,
    hub,
    journals,
    runs,
    teams,
    mcp,
    gateway,
    llmCalls,
    version: VERSION,
    auth,
    edge,
    alerts,
    budgets,
    metrics,
    requestTail,
  };

  const app = httpApp(deps, {
    recordRequest: (r) => requests.add(requestTail.add(r)),
    demo: demoRoutes(demoModel, () => teams.current().usedProviders().some((p) => p.demo)),
  });

  return {
    app,
    deps,
    close: async () => {
      const deadline = Date.now() + config.shutdownTimeoutMs;
      const inTime = (p: Promise<unknown>) => beforeDeadline(p, deadline);
      // Runs first: each records its end (events, calls, answer, then its status).
      const drained = await inTime(runs.shutdown());
      await inTime(gateway.closeSessions());
      await inTime(retention.close());
      teams.close();
      await inTime(alerts.close());
      await inTime(mcp.close());
      modelFetch.close();
      hub.close();
      const stored = await inTime(
        Promise.all([writer.flush(), llmCalls.flush(), requests.flush()]),
      );
      const events = writer.pending + journals.unqueued;
      const unstored = events + llmCalls.pending;
      if (fence.dropped > 0) {
        log.warn(
          "{dropped} events were dropped: their runs were taken over by another instance " +
            "while this one's lease was lost",
          { dropped: fence.dropped },
        );
      }
      if (!drained || !stored) {
        log.error(
          "Shutdown deadline ({ms} ms) passed: {events} events and {calls} LLM calls not stored " +
            "({runs} runs still recording; is the database reachable?)",
          { ms: config.shutdownTimeoutMs, events, calls: llmCalls.pending, runs: runs.activeRuns },
        );
      }
      requests.close();
      auth.close();
      await inTime(lease.stop());
      await inTime(db.close());
      await resetLogging();
      return { unstored };
    },
  };
}

/** Whether `p` settled before the deadline (its rejection counts as settled: it was tried). */
async function beforeDeadline(p: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((r) => timer = setTimeout(() => r(false), deadline - Date.now()));
  try {
    return await Promise.race([p.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
