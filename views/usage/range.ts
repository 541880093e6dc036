/**
 * The usage page's periods and their time buckets (UTC): today by hour, the last 7, 30 or 90
 * days by day, all time by day or — past 92 days — by week (starting on Monday, like Postgres'
 * date_trunc). Pure functions, shared by the route (what to query) and the view (the columns).
 */
import type { Bucket } from "../../db/usage_dashboard.ts";

export const DASHBOARD_PERIODS = ["today", "7d", "30d", "90d", "all"] as const;
export type DashboardPeriod = typeof DASHBOARD_PERIODS[number];

export const DASHBOARD_PERIOD_LABEL: Record<DashboardPeriod, string> = {
  today: "Today (UTC)",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
  "90d": "Last 90 days",
  all: "All time",
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const DAYS: Record<string, number> = { "7d": 7, "30d": 30, "90d": 90 };

export interface DashboardRange {
  from: Date;
  to: Date;
  bucket: Bucket;
}

/** The period's range ending now; "all" starts at the first call (`now` when there is none). */
export function dashboardRange(
  period: DashboardPeriod,
  now: Date,
  firstCall: Date | null,
): DashboardRange {
  if (period === "today") return { from: truncate(now, "day"), to: now, bucket: "hour" };
  if (period !== "all") {
    return { from: new Date(now.getTime() - DAYS[period] * DAY), to: now, bucket: "day" };
  }
  const from = firstCall && firstCall < now ? firstCall : now;
  return { from, to: now, bucket: now.getTime() - from.getTime() > 92 * DAY ? "week" : "day" };
}

/** The start of the bucket holding `t`. */
export function truncate(t: Date, bucket: Bucket): Date {
  const d = new Date(t);
  d.setUTCMinutes(0, 0, 0);
  if (bucket === "hour") return d;
  d.setUTCHours(0);
  if (bucket === "week") d.setUTCDate(d.getUTCDate() - (d.getUTCDay() + 6) % 7);
  return d;
}

export function nextBucket(t: Date, bucket: Bucket): Date {
  return new Date(t.getTime() + (bucket === "hour" ? HOUR : bucket === "day" ? DAY : 7 * DAY));
}

/** Every bucket start from the one holding `from` up to `to` (inclusive of its bucket). */
export function bucketStarts(r: DashboardRange): Date[] {
  const out: Date[] = [];
  for (let t = truncate(r.from, r.bucket); t <= r.to; t = nextBucket(t, r.bucket)) out.push(t);
  return out;
}

/** "09:00" for hours, "12-01" for days, "wk 12-01" for weeks (all UTC). */
export function bucketLabel(t: Date, bucket: Bucket): string {
  const iso = t.toISOString();
  if (bucket === "hour") return iso.slice(11, 16);
  return `${bucket === "week" ? "wk " : ""}${iso.slice(5, 10)}`;
}
