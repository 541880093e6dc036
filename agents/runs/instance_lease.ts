/**
 * This process's lease on the database (db/instances.ts), renewed every quarter of its length.
 * Each renewal also sweeps: runs of instances whose lease expired (kill -9, a lost machine) are
 * marked interrupted with a stored terminal event — within about 1.25 leases of their instance's
 * last renewal — and the terminal events are handed to `onEnded` (to publish them, so this
 * instance's followers of those runs see them end). With the embedded database the directory
 * lock makes this the only process, so at start every run left running is an orphan.
 */
import type { Sql } from "../../db/client.ts";
import {
  interruptOrphanedRuns,
  registerInstance,
  removeInstance,
  renewLease,
} from "../../db/instances.ts";
import type { RunEvent } from "../spine/events.ts";
import type { Logger } from "../logging/logging.ts";

export const LOST_INSTANCE_REASON =
  "the server running this run stopped before it ended (its instance lease expired)";

export interface LeaseOptions {
  leaseMs: number;
  /** The embedded database: one process, so every other run is an orphan at once. */
  embedded: boolean;
  onEnded: (terminal: RunEvent[]) => void;
  log: Logger;
}

export class InstanceLease {
  readonly id = crypto.randomUUID();
  #timer: ReturnType<typeof setInterval> | undefined;
  #renewing: Promise<void> = Promise.resolve();

  private constructor(private readonly sql: Sql, private readonly opts: LeaseOptions) {}

  static async start(sql: Sql, opts: LeaseOptions): Promise<InstanceLease> {
    const lease = new InstanceLease(sql, opts);
    await lease.#register();
    await lease.#sweep(opts.embedded);
    lease.#timer = setInterval(() => {
      lease.#renewing = lease.#renewing.then(() => lease.#renew());
    }, Math.max(250, opts.leaseMs / 4));
    return lease;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#renewing;
    await removeInstance(this.sql, this.id).catch(() => {});
  }

  #register(): Promise<void> {
    return registerInstance(this.sql, {
      id: this.id,
      pid: Deno.pid,
      host: Deno.hostname(),
      leaseMs: this.opts.leaseMs,
    });
  }

  async #renew(): Promise<void> {
    try {
      if (!(await renewLease(this.sql, this.id, this.opts.leaseMs))) {
        // Away longer than the lease: others took this instance for dead (its runs are ended).
        this.opts.log.warn("The instance lease had expired; registering again");
        await this.#register();
      }
      await this.#sweep(false);
    } catch (err) {
      this.opts.log.warn("Renewing the instance lease failed: {error}", { error: String(err) });
    }
  }

  async #sweep(everyone: boolean): Promise<void> {
    const ended = await interruptOrphanedRuns(this.sql, this.id, {
      everyone,
      reason: LOST_INSTANCE_REASON,
    });
    if (ended.length === 0) return;
    this.opts.log.warn("Marked {n} runs of stopped instances as interrupted", { n: ended.length });
    this.opts.onEnded(ended);
  }
}
