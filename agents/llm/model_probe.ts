/** Is the configured model endpoint reachable? Asked at most every 30 s (health checks poll). */
import type { Config } from "../../config.ts";
import type { Secret } from "../logging/secret.ts";

export function providerName(baseUrl: string | null): string {
  if (!baseUrl) return "openai";
  const u = new URL(baseUrl);
  if (u.hostname === "api.openai.com") return "openai";
  if (u.port === "11434") return "ollama";
  if (u.port === "1234") return "lmstudio";
  return "openai-compatible";
}

export function modelProbe(config: Config, demo: boolean) {
  let cached: { at: number; value: { ok: boolean; detail: string } } | null = null;
  return async (): Promise<{ ok: boolean; detail: string }> => {
    if (demo) return { ok: true, detail: "built-in offline demo model (not a real LLM)" };
    if (cached && Date.now() - cached.at < 30_000) return cached.value;
    const base = (config.openaiBaseUrl ?? "https://api.openai.com/v1").replace(/\/$/, "");
    let value: { ok: boolean; detail: string };
    try {
      const res = await fetch(`${base}/models`, {
        headers: config.openaiApiKey ? { authorization: `Bearer ${config.openaiApiKey}` } : {},
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
