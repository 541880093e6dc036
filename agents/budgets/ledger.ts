/**
 * SpendLedger: what each budget window has spent, kept in memory so a budget check is a few map
 * look-ups instead of a query. A window is read from llm_calls once (its seed), then every call
 * this process records (LlmCallRecorder, through `recorded(row)`) is added to the windows it
 * belongs to as it is recorded — before its row is stored, so the queue in between never hides
 * spend from a check.
 *
 * Seeding is exact across the queue: rows recorded while a window is being read are kept aside;
 * the rows recorded before are waited for (`stored()`), the sum is read in a REPEATABLE READ
 * transaction together with which of the kept rows that snapshot already holds, and the others
 * are added — no row is missed or counted twice. A window's key names its period ("…:2026-12-01"),
 * so at midnight (or the 1st) the next check seeds the next window; windows past their reset, or
 * not used for a while, are dropped. Each window is read again in the background every
 * `refreshMs` while in use, so calls other instances record count here within that time.
 */
import type { Sql } from "../../db/client.ts";
import { type Spend, spendIn, type SpendWindow } from "../../db/budgets.ts";
import type { BudgetWindow } from "./budget.ts";

/** What the ledger needs of a recorded call (an llm_calls row). */
export interface RecordedCall {
  id: string;
  runId: string | null;
  conversationId: string | null;
  userId: string;
  agentName: string | null;
  startedAt: Date;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
  /** Glassbox's estimate, for a call the provider answered without reporting usage. */
  estimatedInputTokens?: number | null;
  estimatedOutputTokens?: number | null;
  estimatedCostUsd?: number | null;
}

export interface LedgerOptions {
  /** Resolves once every row recorded so far is stored. */
  stored: () => Promise<void>;
  /** A window in use is read again after this long (other instances' calls). */
  refreshMs?: number;
  /** A window not checked for this long is dropped (read again when next needed). */
  idleMs?: number;
  now?: () => number;
}

interface Entry {
  filter: SpendWindow;
  resetAt: number | null;
  spend: Spend;
  /** Resolves once `spend` is seeded. */
  ready: Promise<void>;
  seeded: boolean;
  seededAt: number;
  usedAt: number;
  /** Rows recorded while the window is being read: id → amount. */
  pending: Map<string, Spend> | null;
  refreshing: boolean;
}

/** What the provider reported, else Glassbox's estimate (a cut stream counts), as spendIn sums. */
const amountOf = (r: RecordedCall): Spend => ({
  usd: r.costUsd ?? r.estimatedCostUsd ?? 0,
  tokens: (r.inputTokens ?? r.estimatedInputTokens ?? 0) +
    (r.outputTokens ?? r.estimatedOutputTokens ?? 0),
});

export class SpendLedger {
  readonly #entries = new Map<string, Entry>();
  /** The same entries by what their windows narrow on, so a recorded call finds its own. */
  readonly #byRun = new Map<string, Set<Entry>>();
  readonly #byConversation = new Map<string, Set<Entry>>();
  readonly #byUser = new Map<string, Set<Entry>>();
  readonly #byAgent = new Map<string, Set<Entry>>();
  readonly #everyone = new Set<Entry>();
  readonly #refreshMs: number;
  readonly #idleMs: number;
  readonly #now: () => number;
  #sweptAt = 0;

  constructor(private readonly sql: Sql, private readonly opts: LedgerOptions) {
    this.#refreshMs = opts.refreshMs ?? 10_000;
    this.#idleMs = opts.idleMs ?? 10 * 60_000;
    this.#now = opts.now ?? Date.now;
  }

  /** How many windows are held. */
  get size(): number {
    return this.#entries.size;
  }

  /** What each window has spent (stored and recorded calls), reading the ones not held yet. */
  async spend(windows: BudgetWindow[]): Promise<Spend[]> {
    const now = this.#now();
    if (now - this.#sweptAt > 60_000) this.#sweep(now);
    const entries = windows.map((w) => this.#entry(w, now));
    for (const e of entries) if (!e.seeded) await e.ready;
    return entries.map((e) => {
      if (!e.refreshing && now - e.seededAt > this.#refreshMs) this.#refresh(e);
      return { ...e.spend };
    });
  }

  /** A call was recorded (its row queued): its usage counts in every window it is in. */
  recorded(row: RecordedCall): void {
    if (this.#entries.size === 0) return;
    const amount = amountOf(row);
    if (amount.usd === 0 && amount.tokens === 0) return;
    const started = row.startedAt.getTime();
    const add = (set: Set<Entry> | undefined) => {
      if (!set) return;
      for (const e of set) {
        const since = e.filter.since?.getTime();
        if (since !== undefined && started < since) continue;
        if (e.resetAt !== null && started >= e.resetAt) continue;
        e.spend.usd += amount.usd;
        e.spend.tokens += amount.tokens;
        e.pending?.set(row.id, amount);
      }
    };
    if (row.runId !== null) add(this.#byRun.get(row.runId));
    if (row.conversationId !== null) add(this.#byConversation.get(row.conversationId));
    add(this.#byUser.get(row.userId));
    if (row.agentName !== null) add(this.#byAgent.get(row.agentName));
    add(this.#everyone);
  }

  /** Forgets every window (the next checks read them again). */
  clear(): void {
    for (const key of [...this.#entries.keys()]) this.#drop(key);
  }

  #entry(w: BudgetWindow, now: number): Entry {
    let e = this.#entries.get(w.key);
    if (!e) {
      e = {
        filter: w.filter,
        resetAt: w.resetAt?.getTime() ?? null,
        spend: { usd: 0, tokens: 0 },
        ready: Promise.resolve(),
        seeded: false,
        seededAt: 0,
        usedAt: now,
        pending: null,
        refreshing: false,
      };
      this.#entries.set(w.key, e);
      this.#index(e, true);
      const entry = e;
      const key = w.key;
      e.ready = this.#read(e).then((spend) => {
        entry.spend = spend;
        entry.seeded = true;
        entry.seededAt = this.#now();
      }, (err) => {
        // Not held: the next check reads it again.
        if (this.#entries.get(key) === entry) this.#drop(key);
        throw err;
      });
    }
    e.usedAt = now;
    return e;
  }

  /**
   * The window's spend as llm_calls holds it plus the calls recorded meanwhile that the read did
   * not see. While it runs, `recorded()` adds to `entry.spend` (dropped by the caller on a seed)
   * and notes each row in `entry.pending`.
   */
  async #read(e: Entry): Promise<Spend> {
    const pending = new Map<string, Spend>();
    e.pending = pending;
    try {
      // Rows recorded before now are stored once this resolves; later ones are in `pending`.
      await this.opts.stored();
      const { spend, seen } = await this.#snapshot(e.filter, pending);
      let { usd, tokens } = spend;
      for (const [id, a] of pending) {
        if (seen.has(id)) continue;
        usd += a.usd;
        tokens += a.tokens;
      }
      return { usd, tokens };
    } finally {
      if (e.pending === pending) e.pending = null;
    }
  }

  /** The sum, and which of the rows recorded meanwhile the same snapshot holds. */
  async #snapshot(f: SpendWindow, pending: Map<string, Spend>) {
    return await this.sql.begin("ISOLATION LEVEL REPEATABLE READ", async (tx) => {
      const [spend] = await spendIn(tx as unknown as Sql, [f]);
      // Any row the snapshot holds was recorded before it was taken, so is in `pending` now.
      const ids = [...pending.keys()];
      const seen = new Set<string>();
      if (ids.length) {
        const rows = await tx`SELECT id FROM llm_calls WHERE id = ANY(${ids}::uuid[])`;
        for (const r of rows) seen.add(String(r.id));
      }
      return { spend, seen };
    });
  }

  /** Reads a window again in the background; its total moves to what it reads. */
  #refresh(e: Entry): void {
    e.refreshing = true;
    // recorded() goes on adding to e.spend meanwhile; the read counts those calls too.
    this.#read(e).then((spend) => {
      e.spend = spend;
      e.seededAt = this.#now();
    }, () => {
      e.seededAt = this.#now(); // tried: again after refreshMs
    }).finally(() => e.refreshing = false);
  }

  #sweep(now: number): void {
    this.#sweptAt = now;
    for (const [key, e] of this.#entries) {
      const past = e.resetAt !== null && now >= e.resetAt;
      if (past || (e.seeded && !e.refreshing && now - e.usedAt > this.#idleMs)) this.#drop(key);
    }
  }

  #drop(key: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    this.#entries.delete(key);
    this.#index(e, false);
  }

  #index(e: Entry, add: boolean): void {
    const f = e.filter;
    const at = (map: Map<string, Set<Entry>>, k: string) => {
      let set = map.get(k);
      if (add) {
        if (!set) map.set(k, set = new Set());
        set.add(e);
      } else if (set) {
        set.delete(e);
        if (set.size === 0) map.delete(k);
      }
    };
    if (f.runId !== undefined) at(this.#byRun, f.runId);
    else if (f.conversationId !== undefined) at(this.#byConversation, f.conversationId);
    else if (f.userId !== undefined) at(this.#byUser, f.userId);
    else if (f.agentName !== undefined) at(this.#byAgent, f.agentName);
    else if (add) this.#everyone.add(e);
    else this.#everyone.delete(e);
  }
}
