/**
 * Progress for people: "Step X/Y — friendly message" and a percent that never goes backwards.
 * The total is an estimate that grows as the agents reveal their plan (each tool call they ask
 * for adds a step, each sub-agent adds its own think/answer steps).
 */
import type { ProgressValue } from "../spine/events.ts";

export class ProgressTracker {
  #step = 0;
  #total: number;
  #done = 0;
  #percent = 0;

  constructor(initialTotal: number, private readonly onChange: (v: ProgressValue) => void) {
    this.#total = initialTotal;
  }

  /** More work was discovered. */
  plan(extraSteps: number): void {
    this.#total += extraSteps;
  }

  /** A step starts; returns a function that marks it done. */
  begin(message: string): () => void {
    this.#step++;
    if (this.#step > this.#total) this.#total = this.#step;
    this.#publish(message);
    let finished = false;
    return () => {
      if (finished) return;
      finished = true;
      this.#done++;
    };
  }

  /** Where the run is: step X of Y, as the page shows it. */
  position(): { step: number; totalSteps: number } {
    return { step: this.#step, totalSteps: this.#total };
  }

  /** What the current step is doing now (a tool's own progress): same step, new message. */
  update(message: string): void {
    this.#publish(message);
  }

  /** The run ended: 100% on success, the reached percent otherwise. */
  finish(message: string, succeeded: boolean): void {
    if (succeeded) {
      this.#step = this.#total = Math.max(this.#step, 1);
      this.#done = this.#total;
      this.#percent = 100;
    }
    this.#publish(message, succeeded);
  }

  #publish(message: string, final = false): void {
    // Below 100 until the run really ends: an estimate must not claim completion.
    const estimate = Math.floor((100 * this.#done) / Math.max(this.#total, 1));
    this.#percent = final ? this.#percent : Math.max(this.#percent, Math.min(99, estimate));
    this.onChange({
      percent: this.#percent,
      step: this.#step,
      totalSteps: this.#total,
      message,
    });
  }
}
