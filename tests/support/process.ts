/**
 * Glassbox as a real process (main.ts under `deno run`), for what only a process shows: signals,
 * exit codes, kill -9, two processes on one data directory. Its output (stderr and the log on
 * stdout) is collected as it comes.
 */
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

export interface GlassboxProcess {
  /** http://127.0.0.1:<port>, once it listens. */
  url: string;
  pid: number;
  /** Everything it wrote so far (stdout and stderr, interleaved as they came). */
  output(): string;
  status: Promise<Deno.CommandStatus>;
  kill(signal: Deno.Signal): void;
  /** SIGKILL (if still running) and wait for the exit. */
  close(): Promise<void>;
}

/** Starts it and waits for its banner; rejects with its stderr when it exits first. */
export async function spawnGlassbox(env: Record<string, string>): Promise<GlassboxProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN],
    env: { NO_COLOR: "1", PORT: "0", HOST: "127.0.0.1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let wake = () => {};
  const collect = async (from: ReadableStream<Uint8Array<ArrayBuffer>>) => {
    for await (const chunk of from.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      wake();
    }
    wake();
  };
  const reading = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const status = child.status.then(async (s) => {
    await reading.catch(() => {});
    return s;
  });
  let exited = false;
  status.then(() => exited = true);
  const proc: GlassboxProcess = {
    url: "",
    pid: child.pid,
    output: () => text,
    status,
    kill: (signal) => {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
    },
    close: async () => {
      proc.kill("SIGKILL");
      await status;
    },
  };
  for (;;) {
    const port = text.match(/localhost:(\d+)/)?.[1];
    if (port) return { ...proc, url: `http://127.0.0.1:${port}` };
    if (exited) throw new Error(`glassbox exited before listening:\n${text}`);
    await Promise.race([new Promise<void>((r) => wake = r), status]);
  }
}
