/**
 * Alerts in the background: on a timer, every enabled rule is measured over its window (one
 * query per distinct window) and moved between ok and firing — a crossing writes one delivery —
 * and due deliveries are sent: POSTed to the rule's webhook, signed the Standard Webhooks way
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature`, HMAC-SHA256 with the rule's secret, by
 * the `standardwebhooks` package), retried with exponential backoff until a 2xx or the last
 * attempt, every attempt recorded. Nothing here is awaited by a run: a slow, failing or hostile
 * receiver costs a delivery its attempts, and a failing pass is logged and tried again later.
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
  recordEvaluation,
  type WindowMeasure,
} from "../../db/alerts.ts";
import type { Sql } from "../../db/client.ts";
import { alertBody, type AlertNotice, measuredMessage } from "./payload.ts";

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

  close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#deliveryTimer);
    return this.#sending ?? Promise.resolve();
  }

  /** Measures every enabled rule once, writes the deliveries of any crossing, sends them. */
  async evaluate(now = new Date()): Promise<void> {
    const rules = (await listAlertRules(this.sql, { enabled: true }))
      .filter((r) => r.kind !== "budget");
    const windows = new Map<number, Promise<WindowMeasure>>();
    for (const rule of rules) {
      if (!windows.has(rule.windowMinutes)) {
        const since = new Date(now.getTime() - rule.windowMinutes * 60_000);
        windows.set(rule.windowMinutes, measureWindow(this.sql, since));
      }
    }
    for (const rule of rules) {
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
    this.kick();
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
