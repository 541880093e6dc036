/**
 * This process's lease on the database (db/instances.ts), renewed every quarter of its length.
 * Each renewal also sweeps: runs of instances whose lease expired (kill -9, a lost machine) are
 * marked interrupted with a stored terminal event — within about 1.25 leases of their instance's
 * last renewal — and the terminal events are handed to `onEnded` (to publish them, so this
 * instance's followers of those runs see them end). With the embedded database the directory
 * lock makes this the only process, so at start every run left running is an orphan.
 *
 * Self-fencing: this process knows when it last renewed (the time it sent the renewal that
 * succeeded, so never later than the database's own clock of it). Once that is `leaseMs` minus a
 * quarter of it ago, the lease may be about to expire in the database and another instance may
 * take this one's runs over: `onLost` is told (the run manager stops every run here, refusing new
 * ones) before anyone else may act; the next renewal that succeeds tells `onRenewed`.
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
  /** Not renewed for `leaseMs` minus the margin: this instance must stop its runs. */
  onLost?: () => void;
  /** Renewed again after `onLost`. */
  onRenewed?: () => void;
  log: Logger;
}

export class InstanceLease {
  readonly id = crypto.randomUUID();
  #timer: ReturnType<typeof setInterval> | undefined;
  #renewing: Promise<void> = Promise.resolve();
  #fence: ReturnType<typeof setTimeout> | undefined;
  #held = true;
  #stopped = false;

  private constructor(private readonly sql: Sql, private readonly opts: LeaseOptions) {}

  static async start(sql: Sql, opts: LeaseOptions): Promise<InstanceLease> {
    const lease = new InstanceLease(sql, opts);
    const sentAt = performance.now();
    await lease.#register();
    lease.#renewed(sentAt);
    await lease.#sweep(opts.embedded);
    lease.#timer = setInterval(() => {
      lease.#renewing = lease.#renewing.then(() => lease.#renew());
    }, Math.max(250, opts.leaseMs / 4));
    return lease;
  }

  /** Whether the lease is held as far as this process can tell (see the module's comment). */
  get held(): boolean {
    return this.#held;
  }

  /** How long before the lease's end this process stops its runs. */
  get marginMs(): number {
    return this.opts.leaseMs / 4;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearTimeout(this.#fence);
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

  /** A renewal sent at `sentAt` (performance.now()) succeeded: the fence moves on. */
  #renewed(sentAt: number): void {
    if (this.#stopped) return;
    const fenceIn = sentAt + this.opts.leaseMs - this.marginMs - performance.now();
    if (fenceIn <= 0) return; // answered too late to count: the fence stands
    clearTimeout(this.#fence);
    this.#fence = setTimeout(() => this.#lose(), fenceIn);
    if (this.#held) return;
    this.#held = true;
    this.opts.log.warn("The instance lease is renewed: taking runs again");
    this.opts.onRenewed?.();
  }

  #lose(): void {
    if (!this.#held || this.#stopped) return;
    this.#held = false;
    this.opts.log.error(
      "The instance lease was not renewed for {ms} ms (is the database reachable?): another " +
        "instance may take this one's runs over, so they stop here; new runs are refused until " +
        "it is renewed",
      { ms: this.opts.leaseMs - this.marginMs },
    );
    this.opts.onLost?.();
  }

  async #renew(): Promise<void> {
    try {
      const sentAt = performance.now();
      if (!(await renewLease(this.sql, this.id, this.opts.leaseMs))) {
        // Away longer than the lease: others took this instance for dead (its runs are ended).
        this.opts.log.warn("The instance lease had expired; registering again");
        await this.#register();
      }
      this.#renewed(sentAt);
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
