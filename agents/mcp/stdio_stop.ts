/**
 * Stopping a stdio MCP server for sure. The SDK's StdioClientTransport.close() ends stdin, waits
 * 2 s, sends SIGTERM, waits 2 s, then sends SIGKILL — but under Deno 2.9.6 node:child_process
 * ignores a second kill() once `killed` is true (denoland/deno#36643), so a server that ignores
 * EOF and SIGTERM survives as an orphan, and its pipes keep our event loop alive. `stopStdio`
 * finishes the job with Deno.kill on the pid, recorded at spawn because a failed connect()
 * clears it. `killStragglers` is the last resort when the process exits without stopping them.
 */
import type { StdioClientTransport } from "./sdk.ts";

export interface TrackedProcess {
  /** pid of the spawned server, kept after the transport forgets it. */
  pid(): number | null;
  /** Resolves when the process has exited and its pipes closed. */
  exited: Promise<void>;
}

/** Every started server process not known to have exited. */
const running = new Set<number>();

/** Call before client.connect(transport). */
export function trackProcess(transport: StdioClientTransport): TrackedProcess {
  let pid: number | null = null;
  let markExited!: () => void;
  const exited = new Promise<void>((resolve) => (markExited = resolve));
  const start = transport.start.bind(transport);
  transport.start = async () => {
    await start();
    pid = transport.pid;
    if (pid !== null) running.add(pid);
    // Protocol.connect() installs its onclose before calling start(): chain onto it.
    const onclose = transport.onclose;
    transport.onclose = () => {
      if (pid !== null) running.delete(pid);
      markExited();
      onclose?.();
    };
  };
  return { pid: () => pid, exited };
}

function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** Graceful close, then SIGKILL if the process is still there after `graceMs`. */
export async function stopStdio(
  close: () => Promise<void>,
  tracked: TrackedProcess,
  graceMs = 4_500,
): Promise<"exited" | "killed"> {
  if (tracked.pid() === null) return "exited";
  void close().catch(() => {});
  if (await within(tracked.exited, graceMs)) return "exited";
  try {
    Deno.kill(tracked.pid()!, "SIGKILL");
  } catch { /* exited meanwhile */ }
  await tracked.exited;
  return "killed";
}

/** SIGKILLs every server still running: for the moment Glassbox exits (synchronous). */
export function killStragglers(): number {
  let killed = 0;
  for (const pid of running) {
    try {
      Deno.kill(pid, "SIGKILL");
      killed++;
    } catch { /* already gone */ }
  }
  running.clear();
  return killed;
}
