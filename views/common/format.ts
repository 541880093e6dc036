/** Number, time and money formatting for the UI. Fixed locale so output does not depend on the host. */
import { formatUsd } from "../../agents/llm/cost.ts";

const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export function formatInt(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? "–" : int.format(n);
}

/** 1234 → "1.2k", 2_500_000 → "2.5M"; small numbers exact. */
export function formatTokens(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  if (Math.abs(n) < 10_000) return int.format(n);
  if (Math.abs(n) < 1_000_000) return `${(n / 1000).toFixed(1)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** In USD as everywhere (agents/llm/cost.ts formatUsd); null → "unknown" (a price was missing). */
export function formatCost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return "unknown";
  return formatUsd(usd);
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** "14:03:07" (UTC) and the ISO form for <time datetime>. */
export function formatClock(ts: number): { text: string; iso: string } {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return { text: "--:--:--", iso: "" };
  const iso = d.toISOString();
  return { text: iso.slice(11, 19), iso };
}

/** "2 h ago"-style age of a date relative to `now`. */
export function formatAge(date: Date | string | number, now: number = Date.now()): string {
  const t = new Date(date).getTime();
  if (Number.isNaN(t)) return "";
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 7 * 86_400) return `${Math.floor(s / 86_400)} d ago`;
  return new Date(t).toISOString().slice(0, 10);
}

export function clampPercent(p: number | null | undefined): number {
  if (p === null || p === undefined || !Number.isFinite(p)) return 0;
  return Math.max(0, Math.min(100, Math.round(p)));
}

/** "14:03:07" for today (UTC), "2025-01-31 14:03" before; plus the ISO form. */
export function formatWhen(date: Date, now: number): { text: string; iso: string } {
  const iso = date.toISOString();
  const today = new Date(now).toISOString().slice(0, 10);
  return {
    text: iso.startsWith(today) ? iso.slice(11, 19) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`,
    iso,
  };
}
