/** One MCP server as the team file configures it, with its references resolved. */
import type { Secret } from "../logging/secret.ts";

export type McpTransportSpec =
  /** A process Glassbox starts and speaks to over stdin/stdout. */
  | {
    kind: "stdio";
    command: string;
    args: string[];
    /** Added to a minimal environment (HOME, PATH, …): nothing else of ours is passed on. */
    env: Record<string, Secret>;
    cwd: string | null;
  }
  /** A server Glassbox reaches over Streamable HTTP. */
  | { kind: "http"; url: string; headers: Record<string, Secret> };

export interface McpServerSpec {
  name: string;
  transport: McpTransportSpec;
  /** Per tool call. */
  timeoutMs: number;
  /** Send the caller (user, conversation, run, agent) in each call's `_meta`. */
  identity: boolean;
  /** The command line or URL as written in the file (references unresolved): safe to show. */
  display: string;
  /** A hash of the whole resolved configuration: equal keys share one connection. */
  key: string;
}

/** Every secret a server's configuration holds, for redacting what the server says. */
export function secretsOf(spec: McpServerSpec): Secret[] {
  const t = spec.transport;
  return Object.values(t.kind === "stdio" ? t.env : t.headers);
}
