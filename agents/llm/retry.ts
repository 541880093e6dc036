/** When to try an LLM call again, and how long to wait first. */

/** A server asking for a longer pause than this still gets retried after this long. */
export const RETRY_AFTER_CAP_MS = 30_000;

/**
 * 429, 5xx and network failures (a stream cut short counts) are worth another attempt; anything
 * else would fail again.
 */
export function isRetryable(errorType: string): boolean {
  if (["network", "incomplete_stream", "http_429"].includes(errorType)) return true;
  const m = /^http_(\d{3})$/.exec(errorType);
  return m !== null && Number(m[1]) >= 500;
}

/**
 * The server's requested pause in ms, from `retry-after-ms` (OpenAI) or `Retry-After` (seconds or
 * an HTTP date), capped at RETRY_AFTER_CAP_MS; null when absent or unreadable.
 */
export function retryAfterMs(headers: Headers | undefined, nowMs: number): number | null {
  const ms = headers?.get("retry-after-ms");
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) return cap(Number(ms));
  const raw = headers?.get("retry-after")?.trim();
  if (!raw) return null;
  if (/^\d+(\.\d+)?$/.test(raw)) return cap(Number(raw) * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? null : cap(Math.max(0, date - nowMs));
}

/**
 * Exponential backoff with "equal jitter" (half fixed, half random) so clients that failed
 * together do not retry together; a server-given Retry-After wins as is.
 */
export function backoffMs(
  attempt: number,
  baseMs: number,
  serverMs: number | null,
  random: () => number = Math.random,
): number {
  if (serverMs !== null) return serverMs;
  const exp = Math.min(RETRY_AFTER_CAP_MS, baseMs * 2 ** (attempt - 1));
  return exp / 2 + random() * exp / 2;
}

/** Waits ms; rejects with the signal's reason as soon as it aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function cap(ms: number): number {
  return Math.min(ms, RETRY_AFTER_CAP_MS);
}
