/** The HTTP server: where it listens, how long requests and shutdown may take, runs per user. */
import { z } from "zod";
import type { Parsed, VarBuilders } from "./vars.ts";

export interface ServerConfig {
  port: number;
  /** Listen address; anything but loopback needs sign-in configured (or GLASSBOX_AUTH=off). */
  host: string;
  /** Per user; 0: no limit. */
  runLimits: { concurrent: number; perMinute: number };
  /** The whole shutdown (runs interrupted, events stored, database closed) within this. */
  shutdownTimeoutMs: number;
  /**
   * The longest a request waits for its response headers, and a run for its start, before a 503
   * (postgres.js alone can wait for ever on a server that accepts and closes connections).
   */
  requestTimeoutMs: number;
}

export function serverVars({ env, integer }: VarBuilders) {
  return {
    PORT: integer("PORT", 8000, 0, 65535),
    HOST: z.string().refine((h) => HOST_RE.test(h), {
      message: `HOST=${JSON.stringify(env.HOST)} must be an IP address or a host name`,
    }).default("127.0.0.1"),
    GLASSBOX_USER_MAX_RUNS: integer("GLASSBOX_USER_MAX_RUNS", 4, 0, 1000),
    GLASSBOX_USER_RUNS_PER_MINUTE: integer("GLASSBOX_USER_RUNS_PER_MINUTE", 30, 0, 100_000),
    GLASSBOX_SHUTDOWN_TIMEOUT_MS: integer("GLASSBOX_SHUTDOWN_TIMEOUT_MS", 15_000, 100, 600_000),
    GLASSBOX_REQUEST_TIMEOUT_MS: integer("GLASSBOX_REQUEST_TIMEOUT_MS", 10_000, 100, 600_000),
  };
}

export function serverConfig(v: Parsed<typeof serverVars>): ServerConfig {
  return {
    port: v.PORT,
    host: v.HOST,
    runLimits: { concurrent: v.GLASSBOX_USER_MAX_RUNS, perMinute: v.GLASSBOX_USER_RUNS_PER_MINUTE },
    shutdownTimeoutMs: v.GLASSBOX_SHUTDOWN_TIMEOUT_MS,
    requestTimeoutMs: v.GLASSBOX_REQUEST_TIMEOUT_MS,
  };
}

/** An IPv4/IPv6 address or a DNS name; a bracketed IPv6 is accepted too. */
const HOST_RE =
  /^(\[?[0-9a-fA-F:.]+\]?|[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)$/;

/** True for 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}
