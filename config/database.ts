/** The database, and writing to it: events held while it is away, retried writes, leases. */
import { z } from "zod";
import type { Parsed, VarBuilders } from "./vars.ts";

export interface DatabaseConfig {
  /** null: embedded PGlite under `dataDir`. */
  databaseUrl: string | null;
  dataDir: string;
  /**
   * The most events held in memory unstored (the database away): at it, running runs stop and
   * new ones are refused (503) until they are stored.
   */
  writerMaxPending: number;
  /**
   * A write of events or LLM calls unanswered this long is retried on a new connection pool (the
   * database's host may have vanished without closing anything).
   */
  dbWriteTimeoutMs: number;
  /** An instance that has not renewed its lease for this long is dead: its runs are interrupted. */
  instanceLeaseMs: number;
}

export function databaseVars({ integer, url }: VarBuilders) {
  return {
    DATABASE_URL: url("DATABASE_URL", ["postgres:", "postgresql:"]),
    GLASSBOX_DATA: z.string().optional(),
    GLASSBOX_WRITER_MAX_PENDING: integer("GLASSBOX_WRITER_MAX_PENDING", 50_000, 10, 10_000_000),
    GLASSBOX_DB_WRITE_TIMEOUT_MS: integer("GLASSBOX_DB_WRITE_TIMEOUT_MS", 30_000, 100, 600_000),
    GLASSBOX_INSTANCE_LEASE_MS: integer("GLASSBOX_INSTANCE_LEASE_MS", 20_000, 1_000, 600_000),
  };
}

export function databaseConfig(v: Parsed<typeof databaseVars>): DatabaseConfig {
  return {
    databaseUrl: v.DATABASE_URL ?? null,
    dataDir: v.GLASSBOX_DATA ?? ".glassbox",
    writerMaxPending: v.GLASSBOX_WRITER_MAX_PENDING,
    dbWriteTimeoutMs: v.GLASSBOX_DB_WRITE_TIMEOUT_MS,
    instanceLeaseMs: v.GLASSBOX_INSTANCE_LEASE_MS,
  };
}
