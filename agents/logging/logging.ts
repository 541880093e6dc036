/**
 * Logging: LogTape configured once per process. Every record goes to stdout (JSON lines when
 * stdout is not a terminal, a readable line when it is). Records logged inside
 * `withRunContext({ runId, agent }, fn)` — from any logger, across awaits — also carry runId and
 * agent, and are forwarded to `onRunLog(runId, LogValue)` so the runtime can append them to the
 * run's event stream as `glassbox.log` events.
 *
 * The run context lives in one AsyncLocalStorage that is also LogTape's `contextLocalStorage`,
 * so LogTape's own `withContext` nests with it and its properties attach to every record.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import {
  configure,
  getAnsiColorFormatter,
  getJsonLinesFormatter,
  getLogger as getLogTapeLogger,
  getTextFormatter,
  type Logger,
  reset,
  type Sink,
  type TextFormatter,
  withContext,
} from "@logtape/logtape";
import type { LogLevel, LogValue } from "../spine/events.ts";
import { renderMessage, toLogValue } from "./log_value.ts";

export { LIMITS } from "./log_value.ts";

export type { Logger };
export { withContext };

export const ROOT_CATEGORY = "glassbox";

export interface LoggingOptions {
  /** Receives every record logged inside `withRunContext`. Must not throw (errors are caught). */
  onRunLog: (runId: string, value: LogValue) => void;
  /** "auto" (default): JSON lines unless stdout is a terminal. */
  stdout?: "json" | "pretty" | "auto";
  /** Default "info". Applies to stdout and to forwarded run logs alike. */
  lowestLevel?: LogLevel;
  /** Where formatted lines go (one call per record, without the trailing newline). Default: stdout. */
  write?: (line: string) => void;
  /** Applied to every line before it is written (e.g. to cut secrets that slipped into a message). */
  redact?: (line: string) => string;
}

/** The context that withRunContext installs. */
export interface RunLogContext {
  runId: string;
  agent: string;
}

type Store = Record<string | symbol, unknown>;

/** Marks the context in which onRunLog runs: records logged there are not forwarded again. */
const FORWARDING = Symbol("glassbox.logging.forwarding");
const storage = new AsyncLocalStorage<Store>();
/** Synchronous re-entrancy guard, in addition to the FORWARDING context marker. */
let forwardDepth = 0;

/**
 * Configures LogTape (replacing any previous configuration, so tests may call it repeatedly).
 */
export async function setupLogging(opts: LoggingOptions): Promise<void> {
  const lowestLevel = opts.lowestLevel ?? "info";
  const out = opts.write ?? writeStdout;
  const redact = opts.redact;
  const write = redact ? (line: string) => out(redact(line)) : out;
  const mode = opts.stdout ?? "auto";
  const isTerminal = safeIsTerminal();
  const json = mode === "json" || (mode === "auto" && !isTerminal);
  await configure({
    reset: true,
    contextLocalStorage: storage as AsyncLocalStorage<Record<string, unknown>>,
    sinks: {
      stdout: lineSink(json ? getJsonLinesFormatter() : prettyFormatter(isTerminal), write, !json),
      run: runSink(opts.onRunLog),
    },
    loggers: [
      // The root category: records of every logger (ours and any library using LogTape).
      { category: [], sinks: ["stdout", "run"], lowestLevel },
      // LogTape's own diagnostics (e.g. a failing sink): stdout only, warnings and up.
      {
        category: ["logtape", "meta"],
        sinks: ["stdout"],
        parentSinks: "override",
        lowestLevel: "warning",
      },
    ],
  });
}

/** Removes the configuration (records are dropped until setupLogging is called again). */
export async function resetLogging(): Promise<void> {
  await reset();
}

/** A logger under the "glassbox" root category: getLogger("runtime") → "glassbox.runtime". */
export function getLogger(...category: string[]): Logger {
  return getLogTapeLogger([ROOT_CATEGORY, ...category]);
}

/**
 * Runs fn so that every record logged inside it (any logger, across awaits) carries runId and
 * agent and is forwarded to onRunLog. Nests: an inner context (a sub-agent) overrides both.
 * Works whether or not logging is configured yet.
 */
export function withRunContext<T>(ctx: RunLogContext, fn: () => T): T {
  const parent = storage.getStore();
  return storage.run({ ...parent, runId: ctx.runId, agent: ctx.agent }, fn);
}

/**
 * Runs fn outside any run's context: what it logs belongs to no run. For work that was started
 * inside a run but is not the run's (the writers' retries: their timers were set while a run was
 * emitting), whose records would otherwise become that run's log events.
 */
export function withoutRunContext<T>(fn: () => T): T {
  const parent = storage.getStore();
  if (!parent || parent.runId === undefined) return fn();
  const { runId: _runId, agent: _agent, ...rest } = parent;
  return storage.run(rest, fn);
}

/** The innermost run context, or null outside withRunContext. */
export function currentRunContext(): RunLogContext | null {
  const store = storage.getStore();
  if (!store || typeof store.runId !== "string") return null;
  return { runId: store.runId, agent: typeof store.agent === "string" ? store.agent : "" };
}

// ---------------------------------------------------------------------------------------------

function safeIsTerminal(): boolean {
  try {
    return Deno.stdout.isTerminal();
  } catch {
    return false;
  }
}

const encoder = new TextEncoder();

function writeStdout(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

function prettyFormatter(colors: boolean): TextFormatter {
  const base = colors
    ? getAnsiColorFormatter({ timestamp: "time", category: "." })
    : getTextFormatter({ timestamp: "date-time", category: "." });
  return (record) => {
    const line = base(record).replace(/\r?\n$/, "");
    const { runId, agent } = record.properties;
    if (typeof runId !== "string") return line;
    return `${line}  (${typeof agent === "string" ? agent + " " : ""}run ${runId})`;
  };
}

function lineSink(format: TextFormatter, write: (line: string) => void, pretty: boolean): Sink {
  return (record) => {
    let line: string;
    try {
      line = format(record).replace(/\r?\n$/, "");
    } catch (error) {
      // A formatter failure must not lose the record entirely.
      line = pretty
        ? `[${record.level}] ${record.category.join(".")}: (unformattable record: ${error})`
        : JSON.stringify({
          "@timestamp": new Date(record.timestamp).toISOString(),
          level: record.level.toUpperCase(),
          message: renderMessage(record.message),
          logger: record.category.join("."),
          formatError: String(error),
        });
    }
    try {
      write(line);
    } catch {
      // stdout gone (closed pipe): nothing sensible to do from inside a logging call.
    }
  };
}

function runSink(onRunLog: LoggingOptions["onRunLog"]): Sink {
  const meta = getLogTapeLogger([ROOT_CATEGORY, "logging"]);
  return (record) => {
    // Cheap exit for the common case: not inside a run, or already forwarding.
    const store = storage.getStore();
    if (store === undefined || forwardDepth > 0 || store[FORWARDING] === true) return;
    const runId = store.runId;
    if (typeof runId !== "string") return;
    forwardDepth++;
    try {
      storage.run({ ...store, [FORWARDING]: true }, () => {
        try {
          const value = toLogValue(record, store);
          const result: unknown = onRunLog(runId, value);
          if (isThenable(result)) {
            result.then(undefined, (error: unknown) => {
              meta.error("onRunLog failed for run {runId}: {error}", { runId, error });
            });
          }
        } catch (error) {
          // Logged inside the FORWARDING context: it reaches stdout but is not forwarded.
          meta.error("onRunLog failed for run {runId}: {error}", { runId, error });
        }
      });
    } catch {
      // Never throw into the logging call.
    } finally {
      forwardDepth--;
    }
  };
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === "object" && v !== null &&
    typeof (v as { then?: unknown }).then === "function";
}
