/**
 * Retention in the background: shortly after start and then every hour, log records older than
 * GLASSBOX_RETENTION_DAYS are deleted, and LLM calls' prompts and responses older than their own
 * settings are removed (the calls stay, for usage and cost). Small batches with a pause between
 * them, so runs and pages are never held up behind a long delete; 0 days means keep forever.
 */
import type { Logger } from "@logtape/logtape";
import type { Sql } from "../../db/client.ts";
import { deleteLogBatch, dropContentBatch } from "../../db/retention.ts";

export interface RetentionSettings {
  /** Log records (run logs and request records); 0: kept forever. */
  logDays: number;
  /** LLM calls' prompts and tool definitions; 0: kept forever. */
  promptDays: number;
  /** LLM calls' responses and tool calls; 0: kept forever. */
  responseDays: number;
}

const DAY_MS = 86_400_000;

export class Retention {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<unknown> | null = null;
  #closed = false;

  constructor(
    private readonly sql: Sql,
    private readonly settings: RetentionSettings,
    private readonly log: Logger,
    private readonly opts: {
      firstMs?: number;
      everyMs?: number;
      pauseMs?: number;
      batch?: number;
    } = {},
  ) {}

  get active(): boolean {
    const s = this.settings;
    return s.logDays > 0 || s.promptDays > 0 || s.responseDays > 0;
  }

  start(): void {
    if (!this.active) return;
    const every = this.opts.everyMs ?? 3_600_000;
    const tick = () => {
      this.#running = this.runOnce().catch((err) =>
        this.log.warn("Retention pass failed (retried in the next): {error}", {
          error: String(err),
        })
      ).finally(() => {
        this.#running = null;
        if (!this.#closed) this.#timer = setTimeout(tick, every);
      });
    };
    this.#timer = setTimeout(tick, this.opts.firstMs ?? 5_000);
  }

  /** One pass: every setting, batch after batch until nothing is left. */
  async runOnce(now = Date.now()): Promise<{ logs: number; prompts: number; responses: number }> {
    const s = this.settings;
    const done = { logs: 0, prompts: 0, responses: 0 };
    const before = (days: number) => new Date(now - days * DAY_MS);
    if (s.logDays > 0) {
      done.logs = await this.#drain((n) =>
        deleteLogBatch(this.sql, { olderThan: before(s.logDays) }, n)
      );
    }
    if (s.promptDays > 0) {
      done.prompts = await this.#drain((n) =>
        dropContentBatch(this.sql, "prompt", before(s.promptDays), n)
      );
    }
    if (s.responseDays > 0) {
      done.responses = await this.#drain((n) =>
        dropContentBatch(this.sql, "response", before(s.responseDays), n)
      );
    }
    if (done.logs + done.prompts + done.responses > 0) {
      this.log.info(
        "Retention: {logs} log records deleted, {prompts} prompts and {responses} responses removed",
        done,
      );
    }
    return done;
  }

  async #drain(batchOf: (n: number) => Promise<number>): Promise<number> {
    const batch = this.opts.batch ?? 1000;
    let total = 0;
    while (!this.#closed) {
      const n = await batchOf(batch);
      total += n;
      if (n < batch) break;
      await new Promise((r) => setTimeout(r, this.opts.pauseMs ?? 20));
    }
    return total;
  }

  /** Stops after the current batch. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#running;
  }
}
