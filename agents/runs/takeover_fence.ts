/**
 * The writer's side of self-fencing (instance_lease.ts): a run this instance stopped because its
 * lease was lost may meanwhile have been taken over by another instance, which stored its
 * terminal event (interrupted) at the next seq after what was stored. Before any unstored event
 * of such a run is stored, the run is checked once (db/instances.ts `takenOverAt`); if another
 * instance ended it, this instance's events at or after that terminal event's seq are dropped
 * (logged, counted in `dropped`), so the stored stream stays gap-free with one terminal event,
 * last. Events of runs not suspected, or not taken over, are stored as before.
 *
 * Checking waits for the lease to be held again (a transient failure, retried by the writer):
 * while it is lost another instance may still take the run over after the check.
 */
import type { Sql } from "../../db/client.ts";
import { takenOverAt } from "../../db/instances.ts";
import type { EventSink } from "../spine/event_writer.ts";
import type { RunEvent } from "../spine/events.ts";
import type { Logger } from "../logging/logging.ts";

export class LeaseNotHeldError extends Error {
  readonly code = "LEASE_NOT_HELD";
}

export class TakeoverFence implements EventSink {
  /** Runs stopped by a lost lease, not yet checked. */
  readonly #suspect = new Set<string>();
  /** Checked runs another instance ended: the seq from which nothing of ours is stored. */
  readonly #cutoff = new Map<string, number>();
  readonly #dropped = new Set<number>();

  constructor(
    private readonly sink: EventSink,
    private readonly deps: { sql: Sql; self: () => string; held: () => boolean; log: Logger },
  ) {}

  /** Events dropped because another instance had ended their run. */
  get dropped(): number {
    return this.#dropped.size;
  }

  /** These runs' events are checked before they are stored. */
  suspect(runIds: Iterable<string>): void {
    for (const id of runIds) if (!this.#cutoff.has(id)) this.#suspect.add(id);
  }

  async store(batch: RunEvent[]): Promise<void> {
    const runs = new Set(batch.map((e) => e.runId).filter((id) => this.#suspect.has(id)));
    if (runs.size > 0 && !this.deps.held()) {
      throw new LeaseNotHeldError("events of runs stopped by the lost lease wait for its renewal");
    }
    for (const runId of runs) {
      const at = await takenOverAt(this.deps.sql, runId, this.deps.self());
      this.#suspect.delete(runId);
      if (at !== null) this.#cutoff.set(runId, at);
    }
    if (this.#cutoff.size === 0) return await this.sink.store(batch);
    const keep: RunEvent[] = [];
    const dropped = new Map<string, number>();
    for (const ev of batch) {
      const at = this.#cutoff.get(ev.runId);
      if (at === undefined || ev.seq < at) {
        keep.push(ev);
        continue;
      }
      if (this.#dropped.has(ev.id)) continue; // a retried batch: counted already
      this.#dropped.add(ev.id);
      dropped.set(ev.runId, (dropped.get(ev.runId) ?? 0) + 1);
    }
    for (const [runId, n] of dropped) {
      this.deps.log.warn(
        "Run {runId} was taken over by another instance while this one's lease was lost: " +
          "{n} of its events here (seq {seq} on) dropped, its stored terminal event stands",
        { runId, n, seq: this.#cutoff.get(runId)! },
      );
    }
    if (keep.length > 0) await this.sink.store(keep);
  }
}
