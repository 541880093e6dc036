/**
 * /admin/alerts: the alert rules (condition, webhook — its origin only, the URL can be a secret —
 * format, state, last value), a form for a new one, the signing secret once after creating it,
 * and the latest deliveries with every attempt (status code or error, time taken).
 */
import type { AlertRule, Attempt, Delivery } from "../../db/alerts.ts";
import { type PageChrome, PageShell } from "../common/chrome.tsx";
import { formatDuration } from "../common/format.ts";
import { renderDocument } from "../common/layout.tsx";
import { ActionButton, PageHead, type PageNotes, When } from "../accounts/parts.tsx";
import { ScrollTable } from "../common/table.tsx";

/** A rule as the page shows it: never its secret, and only the webhook's origin. */
export type RuleView = Omit<AlertRule, "secret" | "webhookUrl"> & {
  webhook: string;
  condition: string;
  shownValue: string;
};

export interface AlertsPageProps extends PageChrome, PageNotes {
  rules: RuleView[];
  deliveries: (Delivery & { shownAttempts: Attempt[] })[];
  /** Just created: its signing secret, shown this once. */
  created?: { name: string; secret: string } | null;
  /** The form's values after a refused post. */
  form?: Record<string, string>;
  windows: { minutes: number; label: string }[];
  kinds: { kind: string; label: string }[];
  budgetLevels: { level: string; label: string }[];
}

export function AlertsPage(p: AlertsPageProps): string {
  const now = p.now ?? Date.now();
  const f = p.form ?? {};
  return renderDocument(
    <PageShell {...p} title="Alerts · Glassbox" current="alerts">
      <PageHead title="Alerts" ok={p.ok} error={p.error}>
        Rules on cost, error rate and latency, measured every minute over a window (a crossing, and
        the way back, is posted to a webhook), and on budgets (each time a budget's warning level or
        limit is reached); every delivery is signed the Standard Webhooks way and retried with
        backoff.
      </PageHead>
      {p.created
        ? (
          <div class="notice notice-ok" role="status" id="new-secret">
            <p>
              Rule “{p.created.name}” created. Its signing secret — shown only now; verify the{" "}
              <code>webhook-signature</code> header with it:
            </p>
            <p>
              <code class="secret">{p.created.secret}</code>
            </p>
          </div>
        )
        : null}
      <section class="panel" aria-labelledby="h-rules">
        <h2 id="h-rules">Rules</h2>
        {p.rules.length === 0 ? <p class="empty-hint">No alert rules yet.</p> : (
          <ScrollTable
            id="alert-rules"
            head={
              <>
                <th>Name</th>
                <th>Condition</th>
                <th>Webhook</th>
                <th>Format</th>
                <th>State</th>
                <th class="num">Last value</th>
                <th>Last fired</th>
                <th></th>
              </>
            }
          >
            {p.rules.map((r) => (
              <tr
                key={r.id}
                data-rule-id={r.id}
                data-state={r.enabled ? r.state : "disabled"}
              >
                <th scope="row">{r.name}</th>
                <td>{r.condition}</td>
                <td class="mono">{r.webhook}</td>
                <td>{r.format === "slack" ? "Slack" : "Standard Webhooks"}</td>
                <td>
                  <span
                    class={`badge ${
                      !r.enabled
                        ? "badge-cancelled"
                        : r.state === "firing"
                        ? "badge-error"
                        : "badge-ok"
                    }`}
                  >
                    {r.enabled ? r.state : "disabled"}
                  </span>
                </td>
                <td class="num">{r.shownValue}</td>
                <td class="nowrap">
                  <When at={r.lastFiredAt} now={now} />
                </td>
                <td class="cell-links">
                  <ActionButton action={`/admin/alerts/${r.id}/test`} label="Send test" />
                  <ActionButton
                    action={`/admin/alerts/${r.id}/${r.enabled ? "disable" : "enable"}`}
                    label={r.enabled ? "Disable" : "Enable"}
                  />
                  <ActionButton
                    action={`/admin/alerts/${r.id}/delete`}
                    label="Delete"
                    danger
                    confirm={`Delete the rule “${r.name}” and its deliveries?`}
                  />
                </td>
              </tr>
            ))}
          </ScrollTable>
        )}
      </section>
      <section class="panel" aria-labelledby="h-new-rule">
        <h2 id="h-new-rule">New rule</h2>
        <form method="post" action="/admin/alerts" class="calls-filters" id="new-rule">
          <label>
            <span>Name</span>
            <input name="name" required maxlength={100} value={f.name ?? ""} />
          </label>
          <label>
            <span>When</span>
            <select name="kind">
              {p.kinds.map((k) => (
                <option key={k.kind} value={k.kind} selected={f.kind === k.kind}>{k.label}</option>
              ))}
            </select>
          </label>
          <label>
            <span>Reaches (USD, %, ms)</span>
            <input
              name="threshold"
              inputmode="decimal"
              value={f.threshold ?? ""}
              size={8}
            />
          </label>
          <label>
            <span>Over</span>
            <select name="window_minutes">
              {p.windows.map((w) => (
                <option
                  key={String(w.minutes)}
                  value={String(w.minutes)}
                  selected={f.window_minutes === String(w.minutes)}
                >
                  {w.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span>At least (calls)</span>
            <input name="min_calls" inputmode="numeric" value={f.min_calls ?? "10"} size={5} />
          </label>
          <label>
            <span>Budget rules: on</span>
            <select name="budget_level">
              {p.budgetLevels.map((l) => (
                <option key={l.level} value={l.level} selected={f.budget_level === l.level}>
                  {l.label}
                </option>
              ))}
            </select>
          </label>
          <label class="f-run">
            <span>Webhook URL</span>
            <input name="webhook_url" type="url" required value={f.webhook_url ?? ""} size={36} />
          </label>
          <label>
            <span>Payload</span>
            <select name="format">
              <option value="standard" selected={f.format !== "slack"}>
                Standard Webhooks JSON
              </option>
              <option value="slack" selected={f.format === "slack"}>Slack-compatible</option>
            </select>
          </label>
          <div class="calls-filter-actions">
            <button type="submit" class="btn btn-primary">Add rule</button>
          </div>
        </form>
      </section>
      <section class="panel" aria-labelledby="h-deliveries">
        <h2 id="h-deliveries">Deliveries · newest first</h2>
        {p.deliveries.length === 0 ? <p class="empty-hint">Nothing sent yet.</p> : (
          <ScrollTable
            id="alert-deliveries"
            head={
              <>
                <th>Created</th>
                <th>Rule</th>
                <th>Event</th>
                <th>Status</th>
                <th class="num">Attempts</th>
                <th>Attempts (code or error, time)</th>
                <th>Next attempt</th>
              </>
            }
          >
            {p.deliveries.map((d) => (
              <tr key={d.id} data-delivery-id={d.id} data-status={d.status}>
                <td class="nowrap">
                  <When at={d.createdAt} now={now} />
                </td>
                <td>{d.ruleName}</td>
                <td>
                  <code>{d.event}</code>
                </td>
                <td>
                  <span
                    class={`badge ${
                      d.status === "delivered"
                        ? "badge-ok"
                        : d.status === "failed"
                        ? "badge-error"
                        : "badge-running"
                    }`}
                  >
                    {d.status}
                  </span>
                </td>
                <td class="num">{String(d.attempts)}</td>
                <td>
                  <ol class="attempts">
                    {d.shownAttempts.map((a) => (
                      <li key={String(a.attempt)} data-attempt={String(a.attempt)}>
                        {a.statusCode !== null ? `HTTP ${a.statusCode}` : a.error ?? "?"}{" "}
                        <span class="muted">
                          {formatDuration(a.durationMs)} · <When at={a.at} now={now} />
                        </span>
                      </li>
                    ))}
                  </ol>
                </td>
                <td class="nowrap">
                  {d.status === "pending" ? <When at={d.nextAttemptAt} now={now} /> : "–"}
                </td>
              </tr>
            ))}
          </ScrollTable>
        )}
      </section>
    </PageShell>,
  );
}
