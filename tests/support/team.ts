/**
 * A Glassbox running a team file of the test's own: the file in a temporary directory (so the
 * test can edit it and watch the reload), a fresh Postgres, and the logs kept for inspection.
 * `close()` stops everything and checks that no MCP server process is left.
 */
import assert from "node:assert/strict";
import type { AgUiEvent } from "../../agents/spine/events.ts";
import { listEvents } from "../../db/events.ts";
import { freshPostgres } from "./db.ts";
import { childProcesses } from "./mcp/servers.ts";
import { postJson, startGlassbox, type TestServer } from "./server.ts";

export interface TeamStack {
  gb: TestServer;
  /** The team file. */
  path: string;
  dir: string;
  logs: string[];
  sql: Awaited<ReturnType<typeof freshPostgres>>["sql"];
  /** The test's own database. */
  dbUrl: string;
  /** POST /api/v1/chat, answered when the run is over. */
  chat(body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }>;
  /** The run's stored events. */
  events(runId: string): Promise<AgUiEvent[]>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startTeam(
  yaml: string,
  env: Record<string, string> = {},
): Promise<TeamStack> {
  const dir = await Deno.makeTempDir({ prefix: "glassbox-team-" });
  const path = `${dir}/team.yaml`;
  await Deno.writeTextFile(path, yaml);
  const db = await freshPostgres();
  const logs: string[] = [];
  let gb: TestServer;
  try {
    gb = await startGlassbox({ DATABASE_URL: db.url, GLASSBOX_AGENTS: path, ...env }, { logs });
  } catch (err) {
    await db.close();
    throw err;
  }
  const stack: TeamStack = {
    gb,
    path,
    dir,
    logs,
    sql: db.sql,
    dbUrl: db.url,
    async chat(body) {
      const res = await postJson(`${gb.url}/api/v1/chat`, body);
      return { status: res.status, body: await res.json() };
    },
    async events(runId) {
      return (await listEvents(db.sql, runId)).map((e) => e.event);
    },
    async close() {
      await gb.close();
      await db.close();
      await Deno.remove(dir, { recursive: true });
      // The HTTP fault server is the test's own process, stopped by the test.
      const left = (await childProcesses()).filter((p) => !p.includes("http_faults.ts"));
      assert.deepEqual(left, [], "no MCP server process outlives Glassbox");
    },
    [Symbol.asyncDispose]: () => stack.close(),
  };
  return stack;
}

/**
 * A tool result's text, by the id the model gave the call: events carry Glassbox's id for it
 * (namespaced per LLM call), and its TOOL_CALL_START keeps the model's in metadata.
 */
export function toolResults(events: AgUiEvent[]): Record<string, string> {
  const modelIds = new Map(
    events.flatMap((e) =>
      e.type === "TOOL_CALL_START"
        ? [[e.toolCallId, (e.metadata as { providerToolCallId?: string }).providerToolCallId]]
        : []
    ),
  );
  return Object.fromEntries(
    events.flatMap((e) =>
      e.type === "TOOL_CALL_RESULT"
        ? [[modelIds.get(e.toolCallId) ?? e.toolCallId, String(e.content)]]
        : []
    ),
  );
}

/** The values of the run's CUSTOM events of one name. */
export function customValues<T>(events: AgUiEvent[], name: string): T[] {
  return events.flatMap((e) => e.type === "CUSTOM" && e.name === name ? [e.value as T] : []);
}
