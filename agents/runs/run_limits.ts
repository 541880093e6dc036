/**
 * Per-user admission for the one thing that spends money, starting a run: at most `concurrent`
 * runs of a user going at once and `perMinute` started in any 60 s (0: no limit). In memory: one
 * process starts all runs. A refusal says when to try again (429 with Retry-After).
 */
import { RateLimitedError } from "./errors.ts";

const WINDOW_MS = 60_000;
/** A slot frees when a run ends, which cannot be foreseen: a hint for polite clients. */
const CONCURRENT_RETRY_S = 2;

export class RunLimits {
  readonly #active = new Map<string, number>();
  /** Start times within the last minute, oldest first, per user. */
  readonly #starts = new Map<string, number[]>();

  constructor(
    private readonly limits: { concurrent: number; perMinute: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a slot for a run of `userId`, or throws RateLimitedError; call the release once. */
  admit(userId: string): () => void {
    const { concurrent, perMinute } = this.limits;
    const active = this.#active.get(userId) ?? 0;
    if (concurrent > 0 && active >= concurrent) {
      throw new RateLimitedError(
        `you already have ${active} runs going (at most ${concurrent}); wait for one to end`,
        CONCURRENT_RETRY_S,
      );
    }
    const now = this.now();
    const starts = (this.#starts.get(userId) ?? []).filter((t) => now - t < WINDOW_MS);
    if (perMinute > 0 && starts.length >= perMinute) {
      this.#starts.set(userId, starts);
      throw new RateLimitedError(
        `at most ${perMinute} runs a minute; try again shortly`,
        Math.max(1, Math.ceil((starts[0] + WINDOW_MS - now) / 1000)),
      );
    }
    starts.push(now);
    this.#starts.set(userId, starts);
    this.#active.set(userId, active + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#active.get(userId) ?? 1) - 1;
      if (left > 0) this.#active.set(userId, left);
      else this.#active.delete(userId);
      this.#forgetOld();
    };
  }

  /** Drops users with no start in the window, so the maps hold only recent users. */
  #forgetOld(): void {
    const now = this.now();
    for (const [user, starts] of this.#starts) {
      if (now - starts[starts.length - 1] >= WINDOW_MS) this.#starts.delete(user);
    }
  }
}
