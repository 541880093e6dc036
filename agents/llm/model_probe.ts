/** Is a provider's endpoint reachable? Asked at most every 30 s (health checks poll). */
import type { Secret } from "../logging/secret.ts";

export type ProbeResult = { ok: boolean; detail: string };

export function endpointProbe(
  baseUrl: string,
  apiKey: Secret | null,
  demo: boolean,
): () => Promise<ProbeResult> {
  let cached: { at: number; value: ProbeResult } | null = null;
  return async () => {
    if (demo) return { ok: true, detail: "built-in offline demo model (not a real LLM)" };
    if (cached && Date.now() - cached.at < 30_000) return cached.value;
    const base = baseUrl.replace(/\/$/, "");
    let value: ProbeResult;
    try {
      const res = await fetch(`${base}/models`, {
        headers: apiKey ? { authorization: `Bearer ${apiKey.reveal()}` } : {},
        signal: AbortSignal.timeout(3000),
      });
      await res.body?.cancel();
      value = res.ok
        ? { ok: true, detail: `${base} answered` }
        : { ok: false, detail: `${base}/models answered HTTP ${res.status}` };
    } catch (err) {
      value = {
        ok: false,
        detail: `${base} unreachable: ${err instanceof Error ? err.message : err}`,
      };
    }
    cached = { at: Date.now(), value };
    return value;
  };
}
