/**
 * /sessions (admins): the runs active in this process and who follows them, per transport —
 * JSON SSE (the API), HTML SSE (the pages), WebSocket followers, AG-UI — and per user.
 */
import type { ProgressValue } from "../../agents/spine/events.ts";
import { type PageChrome, PageShell } from "../common/chrome.tsx";
import { renderDocument } from "../common/layout.tsx";
import { PageHead, When } from "../accounts/parts.tsx";
import { ScrollTable } from "../common/table.tsx";

/** Subscribers by transport (routes/run_stream.ts TRANSPORTS), and their sum. */
export interface TransportCounts {
  sse_json: number;
  sse_html: number;
  websocket: number;
  agui: number;
  total: number;
}

export interface ActiveRunSession {
  runId: string;
  conversationId: string | null;
  userId: string | null;
  user: string | null;
  agent: string | null;
  startedAt: Date;
  /** "running", or "ending" once its terminal event is out (its journal is not dropped yet). */
  status: "running" | "ending";
  progress: ProgressValue | null;
  subscribers: TransportCounts;
}

export interface UserSessions {
  userId: string;
  user: string | null;
  /** Run streams followed (one per subscriber). */
  runs: TransportCounts;
  /** Log tails followed. */
  logs: TransportCounts;
}

export interface SessionsSnapshot {
  at: Date;
  runs: ActiveRunSession[];
  users: UserSessions[];
  /** Every labelled subscriber of the process, by transport. */
  totals: TransportCounts;
}

/** How often the page refreshes its figures. */
const REFRESH_S = 5;

const COLUMNS: { key: keyof TransportCounts; label: string }[] = [
  { key: "sse_json", label: "JSON SSE" },
  { key: "sse_html", label: "HTML SSE" },
  { key: "websocket", label: "WebSocket" },
  { key: "agui", label: "AG-UI" },
  { key: "total", label: "Total" },
];

function CountHeads() {
  return <>{COLUMNS.map((c) => <th key={c.key} class="num">{c.label}</th>)}</>;
}

function Counts({ c }: { c: TransportCounts }) {
  return (
    <>
      {COLUMNS.map((col) => <td key={col.key} class="num" data-transport={col.key}>{c[col.key]}
      </td>)}
    </>
  );
}

export function SessionsPage(p: PageChrome & { snapshot: SessionsSnapshot; now?: number }): string {
  const s = p.snapshot;
  const now = p.now ?? s.at.getTime();
  return renderDocument(
    <PageShell {...p} title="Sessions · Glassbox" current="sessions">
      <PageHead title="Sessions">
        Runs active in this process and the streams that follow them, updated every {REFRESH_S}{" "}
        s; the same data is at <a href="/api/v1/sessions">/api/v1/sessions</a>.
      </PageHead>
      {
        /* The page polls itself and swaps in this part of the answer (hx-select): no stream of
        its own, so watching /sessions adds no subscriber to what it counts. */
      }
      <div
        id="sessions-live"
        hx-get="/sessions"
        hx-trigger={`every ${REFRESH_S}s`}
        hx-select="#sessions-live"
        hx-target="this"
        hx-swap="outerHTML"
      >
        <p class="muted" id="sessions-at">
          As of <When at={s.at} now={now} />.
        </p>
        <section class="panel">
          <h2>Active runs</h2>
          {s.runs.length === 0 ? <p class="calls-empty">No run is active.</p> : (
            <ScrollTable
              id="session-runs"
              head={
                <>
                  <th>Run</th>
                  <th>User</th>
                  <th>Agent</th>
                  <th>Started</th>
                  <th>Status</th>
                  <CountHeads />
                </>
              }
            >
              {s.runs.map((r) => (
                <tr key={r.runId} data-run-id={r.runId}>
                  <td class="mono">
                    {r.conversationId
                      ? <a href={`/c/${r.conversationId}`}>{r.runId.slice(0, 8)}</a>
                      : r.runId.slice(0, 8)}
                  </td>
                  <td>{r.user ?? r.userId ?? <span class="muted">–</span>}</td>
                  <td>{r.agent ?? <span class="muted">–</span>}</td>
                  <td class="nowrap">
                    <When at={r.startedAt} now={now} />
                  </td>
                  <td>
                    {r.status}
                    {r.progress
                      ? (
                        <span class="muted">
                          {` · step ${r.progress.step}/${r.progress.totalSteps} (${
                            Math.round(r.progress.percent)
                          }%) ${r.progress.message}`}
                        </span>
                      )
                      : null}
                  </td>
                  <Counts c={r.subscribers} />
                </tr>
              ))}
            </ScrollTable>
          )}
        </section>
        <section class="panel">
          <h2>Subscribers per user</h2>
          {s.users.length === 0
            ? <p class="calls-empty">Nobody is following anything.</p>
            : (
              <ScrollTable
                id="session-users"
                head={
                  <>
                    <th>User</th>
                    <th>Following</th>
                    <CountHeads />
                  </>
                }
              >
                {s.users.flatMap((u) =>
                  (["runs", "logs"] as const).filter((what) => u[what].total > 0).map((what) => (
                    <tr key={`${u.userId}-${what}`} data-user-id={u.userId} data-what={what}>
                      <td>{u.user ?? u.userId}</td>
                      <td>{what === "runs" ? "run streams" : "log tails"}</td>
                      <Counts c={u[what]} />
                    </tr>
                  ))
                )}
              </ScrollTable>
            )}
        </section>
        <section class="panel">
          <h2>All subscribers</h2>
          <table class="data-table" id="session-totals">
            <thead>
              <tr>
                <CountHeads />
              </tr>
            </thead>
            <tbody>
              <tr>
                <Counts c={s.totals} />
              </tr>
            </tbody>
          </table>
        </section>
      </div>
    </PageShell>,
  );
}
