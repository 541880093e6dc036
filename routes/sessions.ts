/**
 * Who follows what, now (GET /sessions and GET /api/v1/sessions, admins only): the active runs of
 * this process (their journals) with their subscribers per transport, and the subscribers per
 * user across run streams and log tails. Read off the hub's per-topic, per-label counts; the
 * labels are the routes' (run_stream.ts subscriberLabel: transport and user). Subscribers of this
 * process only: another instance's viewers are that instance's.
 */
import type { ProgressValue, RunEvent } from "../agents/spine/events.ts";
import type {
  ActiveRunSession,
  SessionsSnapshot,
  TransportCounts,
  UserSessions,
} from "../views/sessions/page.tsx";
import { CUSTOM, customName } from "../agents/spine/events.ts";
import type { EventHub } from "../agents/spine/event_hub.ts";
import { LOGS_TOPIC } from "../agents/spine/journal.ts";
import { runsWithOwners } from "../db/runs.ts";
import { userLabels } from "../db/users.ts";
import type { AppDeps } from "./deps.ts";
import { conversationOfRun } from "./log_query.ts";
import { parseSubscriberLabel, type Transport, TRANSPORTS } from "./run_stream.ts";

export type { SessionsSnapshot, TransportCounts };

export function noCounts(): TransportCounts {
  return { sse_json: 0, sse_html: 0, websocket: 0, agui: 0, total: 0 };
}

function add(c: TransportCounts, t: Transport, n: number) {
  c[t] += n;
  c.total += n;
}

const RUN_PREFIX = "run:";
const isLogTopic = (topic: string) => topic === LOGS_TOPIC || topic.startsWith(`${LOGS_TOPIC}:`);

/** Labelled subscribers by transport (the /metrics gauge). */
export function subscribersByTransport(hub: EventHub): TransportCounts {
  const out = noCounts();
  for (const { label, count } of hub.counts()) {
    const l = parseSubscriberLabel(label);
    if (l) add(out, l.transport, count);
  }
  return out;
}

export async function sessionsSnapshot(deps: AppDeps): Promise<SessionsSnapshot> {
  const journals = [...deps.journals.all()];
  const counts = deps.hub.counts();
  const byRun = new Map<string, TransportCounts>();
  const byUser = new Map<string, { runs: TransportCounts; logs: TransportCounts }>();
  const totals = noCounts();
  for (const { topic, label, count } of counts) {
    const l = parseSubscriberLabel(label);
    if (!l) continue;
    add(totals, l.transport, count);
    let u = byUser.get(l.userId);
    if (!u) byUser.set(l.userId, u = { runs: noCounts(), logs: noCounts() });
    if (topic.startsWith(RUN_PREFIX)) {
      const runId = topic.slice(RUN_PREFIX.length);
      let r = byRun.get(runId);
      if (!r) byRun.set(runId, r = noCounts());
      add(r, l.transport, count);
      add(u.runs, l.transport, count);
    } else if (isLogTopic(topic)) add(u.logs, l.transport, count);
  }
  const rows = new Map(
    (await runsWithOwners(deps.db.sql, journals.map((j) => j.runId))).map((r) => [r.id, r]),
  );
  const runs = journals.map((j): ActiveRunSession => {
    const row = rows.get(j.runId);
    const first = j.events[0];
    return {
      runId: j.runId,
      conversationId: row?.conversationId ?? conversationOfRun(j) ?? null,
      userId: row?.userId ?? j.owner ?? null,
      user: row ? row.userEmail ?? row.userName : null,
      agent: row?.agent ?? null,
      startedAt: row?.startedAt ?? new Date(first?.createdAt ?? Date.now()),
      status: j.ended ? "ending" : "running",
      progress: latestProgress(j.events),
      subscribers: byRun.get(j.runId) ?? noCounts(),
    };
  }).sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  const names = await userLabels(deps.db.sql, [...byUser.keys()]);
  const users = [...byUser].map(([userId, u]): UserSessions => ({
    userId,
    user: names.get(userId) ?? null,
    ...u,
  })).sort((a, b) => (a.user ?? a.userId).localeCompare(b.user ?? b.userId));
  return { at: new Date(), runs, users, totals };
}

function latestProgress(events: readonly RunEvent[]): ProgressValue | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i].event;
    if (customName(e) === CUSTOM.progress) return (e as { value: ProgressValue }).value;
  }
  return null;
}

/** The snapshot as the API answers it. */
export function sessionsJson(s: SessionsSnapshot) {
  return {
    at: s.at.toISOString(),
    transports: TRANSPORTS,
    runs: s.runs.map((r) => ({
      run_id: r.runId,
      conversation_id: r.conversationId,
      user_id: r.userId,
      user: r.user,
      agent: r.agent,
      started_at: r.startedAt.toISOString(),
      status: r.status,
      progress: r.progress &&
        {
          percent: r.progress.percent,
          step: r.progress.step,
          total_steps: r.progress.totalSteps,
          message: r.progress.message,
        },
      subscribers: r.subscribers,
    })),
    users: s.users.map((u) => ({ user_id: u.userId, user: u.user, runs: u.runs, logs: u.logs })),
    totals: s.totals,
  };
}
