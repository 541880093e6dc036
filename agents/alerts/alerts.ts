/**
 * Alerts in the background: on a timer, every enabled rule is measured over its window (one
 * query per distinct window) and moved between ok and firing — a crossing writes one delivery —
 * and due deliveries are sent: POSTed to the rule's webhook, signed the Standard Webhooks way
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature`, HMAC-SHA256 with the rule's secret, by
 * the `standardwebhooks` package), retried with exponential backoff until a 2xx or the last
 * attempt, every attempt recorded. Nothing here is awaited by a run: a slow, failing or hostile
 * receiver costs a delivery its attempts, and a failing pass is logged and tried again later.
 *
 * A budget rule follows the glassbox.budget_warning events (each budget window's warning level
 * and limit are announced once, by runs and the gateway alike): each event of its level after
 * the rule's cursor is one delivery (`budget.warning` or `budget.limit`), written in the same
 * transaction that moves the cursor, so a crossing is delivered once even with two evaluators.
 */
import { Webhook } from "standardwebhooks";
import {
  type AlertRule,
  claimDueDeliveries,
  insertDelivery,
  listAlertRules,
  measureWindow,
  nextDeliveryAt,
  recordAttempt,
  recordBudgetEvents,
  recordEvaluation,
  takeBudgetEvents,
  type WindowMeasure,
} from "../../db/alerts.ts";
import type { Sql } from "../../db/client.ts";
import { type BudgetWarningValue, CUSTOM } from "../spine/events.ts";
import { alertBody, type AlertNotice, measuredMessage } from "./payload.ts";

/** Budget events a rule takes per pass (the next pass takes the rest). */
const BUDGET_BATCH = 100;

export interface AlertSettings {
  /** How often rules are measured. */
  intervalMs: number;
  /** The first retry's wait; each next one doubles it, up to maxRetryMs. */
  retryBaseMs: number;
  maxRetryMs: number;
  maxAttempts: number;
  /** One attempt's limit (connect, send, answer). */
  timeoutMs: number;
}

interface Log {
  warn(message: string, props?: Record<string, unknown>): void;
}

/** The wait before attempt `attempt + 1` (attempt counts from 1). */
export function backoffMs(s: Pick<AlertSettings, "retryBaseMs" | "maxRetryMs">, attempt: number) {
  return Math.min(s.maxRetryMs, s.retryBaseMs * 2 ** (attempt - 1));
}

/** The measured value and whether it crosses the rule's threshold (null: not measurable). */
export function judge(
  rule: AlertRule,
  m: WindowMeasure,
): { value: number; breach: boolean } | null {
  if (rule.kind === "cost") return { value: m.costUsd, breach: m.costUsd >= rule.threshold };
  if (rule.kind === "error_rate") {
    if (m.calls < rule.minCalls || m.calls === 0) return null;
    const value = (100 * m.failed) / m.calls;
    return { value, breach: value >= rule.threshold };
  }
  if (rule.kind === "latency") {
    if (m.okCalls < rule.minCalls || m.latencyP95 === null) return null;
    return { value: m.latencyP95, breach: m.latencyP95 >= rule.threshold };
  }
  return null;
}

export class AlertService {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #deliveryTimer: ReturnType<typeof setTimeout> | undefined;
  #sending: Promise<void> | null = null;
  /** The evaluation running now (the timer's or a caller's); close() waits for it. */
  #evaluating: Promise<void> | null = null;
  #closed = false;

  constructor(
    private readonly sql: Sql,
    private readonly settings: AlertSettings,
    private readonly log: Log,
  ) {}

  start(): void {
    const tick = async () => {
      await this.evaluate().catch((err) =>
        this.log.warn("Alert evaluation failed: {error}", { error: String(err) })
      );
      if (!this.#closed) this.#timer = setTimeout(tick, this.settings.intervalMs);
    };
    this.#timer = setTimeout(tick, 0);
  }

  /** Stops the timers, then waits for a running evaluation and delivery pass to end. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#deliveryTimer);
    while (this.#evaluating) await this.#evaluating.catch(() => {});
    await this.#sending;
  }

  /**
   * Measures every enabled rule once, writes the deliveries of any crossing, sends them. One
   * evaluation at a time: a call while one runs waits for it and then runs its own.
   */
  async evaluate(now = new Date()): Promise<void> {
    const run = (this.#evaluating ?? Promise.resolve()).catch(() => {})
      .then(() => this.#closed ? undefined : this.#evaluate(now));
    this.#evaluating = run;
    try {
      await run;
    } finally {
      if (this.#evaluating === run) this.#evaluating = null;
    }
  }

  async #evaluate(now: Date): Promise<void> {
    const all = await listAlertRules(this.sql, { enabled: true });
    const rules = all.filter((r) => r.kind !== "budget");
    const windows = new Map<number, Promise<WindowMeasure>>();
    for (const rule of rules) {
      if (!windows.has(rule.windowMinutes)) {
        const since = new Date(now.getTime() - rule.windowMinutes * 60_000);
        windows.set(rule.windowMinutes, measureWindow(this.sql, since));
      }
    }
    for (const rule of rules) {
      if (this.#closed) return;
      const m = await windows.get(rule.windowMinutes)!;
      const verdict = judge(rule, m);
      const to = verdict === null ? rule.state : verdict.breach ? "firing" : "ok";
      const calls = rule.kind === "latency" ? m.okCalls : m.calls;
      await recordEvaluation(this.sql, rule, verdict?.value ?? null, to, {
        event: to === "firing" ? "alert.fired" : "alert.resolved",
        payload: () =>
          alertBody(rule.format, {
            event: to === "firing" ? "alert.fired" : "alert.resolved",
            rule,
            value: verdict?.value ?? null,
            message: verdict
              ? measuredMessage(rule, { value: verdict.value, calls }, to === "firing")
              : "",
            at: now,
          }),
      });
    }
    for (const rule of all.filter((r) => r.kind === "budget")) {
      if (this.#closed) return;
      await this.#budgetRule(rule);
    }
    this.kick();
  }

  /** One delivery per budget event of the rule's level since its cursor. */
  async #budgetRule(rule: AlertRule): Promise<void> {
    let cursor = rule.lastEventId;
    for (;;) {
      const events = await takeBudgetEvents(
        this.sql,
        { id: rule.id, lastEventId: cursor },
        [CUSTOM.budgetWarning],
        BUDGET_BATCH,
      );
      if (!events.length) return;
      const deliveries = events.flatMap((e) => {
        const v = (e.payload as { value?: BudgetWarningValue }).value;
        if (!v || (rule.budgetLevel !== "any" && v.threshold !== rule.budgetLevel)) return [];
        const event = v.threshold === "limit" ? "budget.limit" : "budget.warning";
        const notice: AlertNotice = {
          event,
          rule,
          value: v.percent,
          message: v.threshold === "limit"
            ? `Budget limit reached: ${v.message}.`
            : `Budget warning: ${v.message}.`,
          at: e.createdAt,
          detail: {
            threshold: v.threshold,
            budget: v.budget.label,
            metric: v.budget.metric,
            spent: v.budget.spent,
            limit: v.budget.limit,
            percent: v.percent,
            reset_at: v.budget.resetAt === null ? null : new Date(v.budget.resetAt).toISOString(),
            run_id: e.runId,
          },
        };
        return [{ event, payload: () => alertBody(rule.format, notice) }];
      });
      const next = events.at(-1)!.id;
      const moved = await recordBudgetEvents(
        this.sql,
        { id: rule.id, lastEventId: cursor },
        next,
        deliveries,
      );
      // Another evaluator moved the cursor first: it wrote these deliveries; follow it next pass.
      if (!moved) return;
      cursor = next;
      if (events.length < BUDGET_BATCH) return;
    }
  }

  /** Queues a test delivery for the rule (the admin page's "Send test"), and sends it. */
  async sendTest(rule: AlertRule): Promise<string> {
    const notice: AlertNotice = {
      event: "alert.test",
      rule,
      value: null,
      message: `A test of the alert “${rule.name}”: deliveries to this webhook work.`,
      at: new Date(),
    };
    const id = await insertDelivery(this.sql, rule.id, {
      event: notice.event,
      payload: () => alertBody(rule.format, notice),
    });
    this.kick();
    return id;
  }

  /** Sends what is due now (one pass at a time), then sleeps until the next is due. */
  kick(): void {
    if (this.#closed) return;
    if (this.#sending) return;
    clearTimeout(this.#deliveryTimer);
    this.#sending = this.#sendDue()
      .catch((err) => this.log.warn("Alert delivery failed: {error}", { error: String(err) }))
      .finally(() => {
        this.#sending = null;
        this.#scheduleNext();
      });
  }

  async #scheduleNext(): Promise<void> {
    if (this.#closed) return;
    const at = await nextDeliveryAt(this.sql).catch(() => null);
    if (at === null || this.#closed || this.#sending) return;
    const wait = Math.min(this.settings.intervalMs, Math.max(0, at.getTime() - Date.now()));
    clearTimeout(this.#deliveryTimer);
    this.#deliveryTimer = setTimeout(() => this.kick(), wait);
  }

  async #sendDue(): Promise<void> {
    const lease = this.settings.timeoutMs * 2;
    for (;;) {
      const due = await claimDueDeliveries(this.sql, lease);
      if (!due.length || this.#closed) return;
      await Promise.all(due.map((d) => this.#attempt(d)));
    }
  }

  async #attempt(
    d: { id: string; payload: string; attempts: number; webhookUrl: string; secret: string },
  ) {
    const attempt = d.attempts + 1;
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const msgId = `msg_${d.id}`;
      const at = new Date();
      const res = await fetch(d.webhookUrl, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "Glassbox-Alerts",
          "webhook-id": msgId,
          "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
          "webhook-signature": new Webhook(d.secret).sign(msgId, at, d.payload),
        },
        body: d.payload,
        redirect: "manual",
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      statusCode = res.status;
      await res.body?.cancel();
      if (!res.ok) error = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
    } catch (err) {
      error = err instanceof DOMException && err.name === "TimeoutError"
        ? `no answer within ${this.settings.timeoutMs} ms`
        : redactUrl(err instanceof Error ? err.message : String(err), d.webhookUrl).slice(0, 300);
    }
    const delivered = error === null;
    await recordAttempt(this.sql, {
      deliveryId: d.id,
      attempt,
      statusCode,
      error,
      durationMs: performance.now() - started,
      delivered,
      retryInMs: delivered || attempt >= this.settings.maxAttempts
        ? null
        : backoffMs(this.settings, attempt),
    });
  }
}

/** A webhook URL can be a secret itself (Slack's are): only its origin is ever shown. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname === "/" && !u.search ? u.origin : `${u.origin}/…`;
  } catch {
    return "(invalid URL)";
  }
}

function redactUrl(message: string, url: string): string {
  let out = message;
  for (const form of new Set([url, URL.canParse(url) ? new URL(url).href : url])) {
    out = out.replaceAll(form, shownUrl(url));
  }
  return out;
}
