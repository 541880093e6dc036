/**
 * Watching one config file the way editors and deploy tools really write it: in place,
 * write-temp-then-rename (sed -i, atomic saves), delete and recreate, and Kubernetes' ConfigMap
 * symlink swap. So: watch the DIRECTORY (a watch on the file follows the old inode and goes
 * quiet after a rename), take any event there as "maybe", debounce, re-read, and report only
 * when the bytes really changed. SIGHUP forces a reload even when they did not.
 */
import { createHash } from "node:crypto";

export interface FileWatch {
  /** Reads the file now and reports it, changed or not (what SIGHUP does). */
  reload(reason: string): Promise<void>;
  close(): void;
}

export interface WatchOptions {
  /** The text already loaded: only a different one is reported. */
  initialText: string;
  debounceMs?: number;
  /** The new text (changed, or forced), in the order read. */
  onText: (text: string, reason: string) => void | Promise<void>;
  /** The file could not be read (e.g. missing between a delete and a recreate). */
  onError: (error: Error) => void;
}

const digest = (text: string) => createHash("sha256").update(text).digest("hex");

export function watchFile(path: string, options: WatchOptions): FileWatch {
  const debounceMs = options.debounceMs ?? 100;
  // The directory of the path AS GIVEN, not of its realpath: with a symlinked file (ConfigMap)
  // the swap happens in the link's directory.
  const absolute = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  const dir = absolute.slice(0, absolute.lastIndexOf("/")) || "/";
  let last = digest(options.initialText);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let reading = Promise.resolve();

  const read = (reason: string, force: boolean) => {
    // One read at a time, so reloads are never reported out of order.
    reading = reading.then(async () => {
      if (closed) return;
      let text: string;
      try {
        text = await Deno.readTextFile(path);
      } catch (error) {
        return options.onError(error as Error);
      }
      const hash = digest(text);
      if (!force && hash === last) return;
      last = hash;
      await options.onText(text, reason);
    }).catch((error) => options.onError(error as Error));
    return reading;
  };

  const watcher = Deno.watchFs(dir, { recursive: false });
  (async () => {
    try {
      for await (const _event of watcher) {
        clearTimeout(timer);
        timer = setTimeout(() => void read("the file changed", false), debounceMs);
      }
    } catch (error) {
      if (!closed) options.onError(error as Error);
    }
  })();
  const onHup = () => void read("SIGHUP", true);
  Deno.addSignalListener("SIGHUP", onHup);

  return {
    reload: (reason) => read(reason, true),
    close() {
      closed = true;
      clearTimeout(timer);
      watcher.close();
      Deno.removeSignalListener("SIGHUP", onHup);
    },
  };
}
