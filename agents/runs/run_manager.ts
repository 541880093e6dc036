/**
 * Starts, cancels and finishes runs. A run: the user's message is stored, a run row is created,
 * the chosen agent works in the background emitting events into the run's journal, and at the
 * end the answer is stored and the run row gets its final status — always after every event is
 * stored, so whoever sees a final status finds the whole stream.
 */
import { DatabaseTimeoutError, type Sql } from "../../db/client.ts";
import * as conversations from "../../db/conversations.ts";
import { getRun, insertRun } from "../../db/runs.ts";
import { ALL, type OwnerScope } from "../../db/owner.ts";
import { type AgUiEvent, CUSTOM, custom, EventType } from "../spine/events.ts";
import { clip } from "../spine/text.ts";
import type { Journals } from "../spine/journal.ts";
import { getLogger, withRunContext } from "../logging/logging.ts";
import { ProgressTracker } from "../runtime/progress.ts";
import { RunScope } from "../runtime/run_scope.ts";
import { executeRun, LEASE_LOST, type RunOutcome, STORAGE_FULL } from "./execute_run.ts";
import { listAgents } from "../runtime/agent_tree.ts";
import { BadRequestError, ConflictError, NotFoundError, UnavailableError } from "./errors.ts";
import { usageCapability } from "./usage_capability.ts";
import type { RunLimits } from "./run_limits.ts";
import type { BudgetChecker } from "../budgets/checker.ts";
import { type RunawayLimits, RunGuard } from "../budgets/run_guard.ts";
import type { ChatMessage } from "../llm/types.ts";
import type { Team } from "../team/team.ts";

const log = getLogger("runs");

/** A new conversation's title: its first message on one line, cut to 80 characters. */
export function conversationTitle(firstMessage: string): string {
  return clip(firstMessage.replace(/\s+/g, " ").trim(), 80);
}

/** The unique index of migration 010: one 'running' run per conversation, across instances. */
const ONE_RUN_INDEX = "runs_one_running_per_conversation";

function isOneRunViolation(err: unknown): boolean {
  const e = err as {
    code?: unknown;
    constraint_name?: unknown;
    constraint?: unknown;
    message?: unknown;
  };
  if (e?.code !== "23505") return false;
  // postgres.js names it constraint_name, PGlite constraint; the message names it in both.
  return [e.constraint_name, e.constraint, e.message].some((v) =>
    typeof v === "string" && v.includes(ONE_RUN_INDEX)
  );
}

export interface StartRunInput {
  message: string;
  conversationId?: string;
  /** Who starts it, and so owns it (a conversation can only be continued by its owner). */
  userId: string;
  /** What that user may see: the most its tools may read (the usage tool's "all"). */
  visible: OwnerScope;
  agent?: string;
  /** Create the conversation with this id when it does not exist (AG-UI threads). */
  createConversation?: boolean;
  /** Earlier turns supplied by the client, used only when the conversation is new. */
  history?: ChatMessage[];
  /** The client's run id (AG-UI); must not be in use. */
  runId?: string;
}

export type { RunOutcome };

export interface RunHandle {
  runId: string;
  conversationId: string;
  userMessageId: string;
  agent: string;
  /** The entry agent's model and provider, and whether that is the demo model. */
  model: string;
  provider: string;
  demo: boolean;
  /** The version of the team the run started with (and keeps to its end). */
  teamVersion: string;
  done: Promise<RunOutcome>;
}

export interface RunManagerDeps {
  sql: Sql;
  journals: Journals;
  /** The queue of llm_calls rows: a run's final status waits for its own. */
  llmCalls: { stored(runId: string): Promise<void> };
  /** This process's instance (its lease), recorded on every run it starts. */
  instanceId: string;
  /** The current team, held until released: a run keeps the team it started with. */
  teams: { acquire(): Team };
  /** Per-user limits on starting runs. */
  limits: RunLimits;
  /** Budgets checked before and during every LLM call, and the runaway guards of each run. */
  cost: { budgets: BudgetChecker; guards: RunawayLimits };
  /**
   * A start that has not stored its run after this long is refused (DatabaseTimeoutError: a 503
   * database_unavailable); should the database take it later, the run is cancelled at once.
   */
  startTimeoutMs?: number;
}

interface ActiveRun {
  conversationId: string;
  abort: AbortController;
  scope: RunScope;
  done: Promise<RunOutcome>;
  /** True once the terminal event is out and only recording remains. */
  ended: () => boolean;
}

export class RunManager {
  readonly #active = new Map<string, ActiveRun>();
  /** Conversations whose next run is being set up (between the busy check and registration). */
  readonly #starting = new Set<string>();
  /** Shutting down: no new runs. */
  #refusing = false;
  /** This instance's lease is lost (stopForLease): no new runs until it is renewed. */
  #fenced = false;
  #waiting = 0;

  constructor(private readonly deps: RunManagerDeps) {}

  get activeRuns(): number {
    return this.#active.size;
  }

  isActive(runId: string): boolean {
    return this.#active.has(runId);
  }

  async start(input: StartRunInput): Promise<RunHandle> {
    if (this.#refusing) {
      throw new UnavailableError("the server is shutting down; start the run again shortly", 5);
    }
    if (this.#fenced) {
      throw new UnavailableError(
        "this server could not renew its instance lease (the database is unreachable); new " +
          "runs are refused until it does; start the run again shortly",
        5,
      );
    }
    const { backlog } = this.deps.journals;
    if (backlog.full) {
      throw new UnavailableError(
        `${backlog.pending} events wait to be stored (the database is unreachable); new runs ` +
          "are refused until they are; start the run again shortly",
        5,
      );
    }
    const team = this.deps.teams.acquire();
    const starting = this.#start(input, team).catch((err) => {
      team.release();
      throw err;
    });
    const ms = this.deps.startTimeoutMs;
    if (ms === undefined) return await starting;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((r) => timer = setTimeout(() => r("late"), ms));
    try {
      const first = await Promise.race([starting, late]);
      if (first !== "late") return first;
    } finally {
      clearTimeout(timer);
    }
    // Refused: the caller is told now. A start the database takes after all is ended at once
    // (cancelled, with its terminal event stored), so nothing runs that nobody asked for.
    starting.then((handle) => {
      log.warn("Run {runId} was stored after its start was refused; cancelling it", {
        runId: handle.runId,
      });
      this.cancel(handle.runId);
    }, () => {});
    throw new DatabaseTimeoutError("starting the run", ms);
  }

  async #start(input: StartRunInput, team: Team): Promise<RunHandle> {
    const { sql } = this.deps;
    const agent = team.entry(input.agent);
    if (!agent) {
      const names = team.entries.map((a) => a.name).join(", ");
      throw new BadRequestError(`unknown agent "${input.agent}"; agents: ${names}`);
    }
    const provider = team.providerOf(agent);
    const userId = input.userId;
    const conversationId = input.conversationId ?? crypto.randomUUID();
    const runId = input.runId ?? crypto.randomUUID();
    await this.#reserve(conversationId);
    let release: () => void;
    try {
      release = this.deps.limits.admit(userId);
    } catch (err) {
      this.#starting.delete(conversationId);
      throw err;
    }
    let history: ChatMessage[];
    const userMessageId = crypto.randomUUID();
    try {
      if (input.runId && (await getRun(sql, input.runId, ALL))) {
        throw new BadRequestError(`run ${input.runId} already exists`);
      }
      history = await sql.begin(async (t) => {
        // A transaction takes the same tagged-template queries; only its type differs.
        const tx = t as unknown as Sql;
        let earlier: ChatMessage[] = input.history ?? [];
        const owner = input.conversationId
          ? await conversations.conversationOwner(tx, conversationId)
          : null;
        // Someone else's conversation is, to this user, one that does not exist.
        if (owner !== null && owner !== userId) {
          throw new NotFoundError(`conversation ${conversationId} not found`);
        }
        if (owner !== null) {
          earlier = (await conversations.listMessages(tx, conversationId))
            .map((m): ChatMessage => ({ role: m.role, content: m.content }));
        } else if (input.conversationId && !input.createConversation) {
          throw new NotFoundError(`conversation ${conversationId} not found`);
        } else {
          const title = conversationTitle(input.message);
          await conversations.createConversation(tx, { id: conversationId, userId, title });
        }
        await insertRun(tx, {
          id: runId,
          conversationId,
          userId,
          agent: agent.name,
          teamVersion: team.version,
          instanceId: this.deps.instanceId,
        });
        await conversations.insertMessage(tx, {
          id: userMessageId,
          conversationId,
          runId,
          role: "user",
          content: input.message,
        });
        return earlier;
      });
    } catch (err) {
      release();
      // Another instance's run of this conversation (the database's one-running-run index).
      if (isOneRunViolation(err)) {
        throw new ConflictError(`conversation ${conversationId} already has a run in progress`);
      }
      // Two requests racing for the same client-chosen run id: the loser is told, not a 500.
      if ((err as { code?: string }).code === "23505") {
        throw new BadRequestError(`run ${runId} already exists`);
      }
      throw err;
    } finally {
      this.#starting.delete(conversationId);
    }

    const abort = new AbortController();
    const journal = this.deps.journals.open(runId, userId);
    const emit = (ev: AgUiEvent) => journal.emit(ev);
    const scope = new RunScope(
      { runId, conversationId, userId },
      { usage: usageCapability(sql, { conversationId, userId, visible: input.visible }) },
      abort.signal,
      new ProgressTracker(
        2,
        (v) => emit(custom(CUSTOM.progress, v)),
      ),
      emit,
    );
    const guard = new RunGuard(this.deps.cost.budgets, this.deps.cost.guards, scope);
    scope.guard = guard;
    emit({
      type: EventType.RUN_STARTED,
      threadId: conversationId,
      runId,
      metadata: {
        agent: agent.name,
        agents: listAgents(agent).map((a) => ({ name: a.name, title: a.title })),
        userId,
        model: agent.remote ? null : agent.model,
        provider: agent.remote ? "agui" : provider.name,
        demo: !agent.remote && provider.demo,
        teamVersion: team.version,
        userMessageId,
        userMessage: input.message,
      },
    });
    const messages: ChatMessage[] = [
      { role: "system", content: agent.instructions },
      ...history,
      { role: "user", content: input.message },
    ];
    const started = performance.now();
    const done = withRunContext({ runId, agent: agent.name }, () => {
      log.info("Run started with agent {agent}", { userId, agent: agent.name });
      return executeRun(this.deps, agent, messages, scope, started);
    });
    this.#active.set(runId, { conversationId, abort, scope, done, ended: () => journal.ended });
    // Stored while the lease was being lost (its start was under way): it stops like the others.
    if (this.#fenced) this.cancel(runId, LEASE_LOST);
    done.finally(() => {
      guard.dispose();
      this.#active.delete(runId);
      release();
      team.release();
    });
    return {
      runId,
      conversationId,
      userMessageId,
      agent: agent.name,
      model: agent.model,
      provider: provider.name,
      demo: provider.demo,
      teamVersion: team.version,
      done,
    };
  }

  /**
   * One run at a time per conversation, so each turn sees the previous answer: a run that has
   * only its recording left is waited for; one still working, or another start, makes this a
   * conflict. Checked again after every wait, and the conversation is reserved (`#starting`) in
   * the same tick as the last check — not by the caller, whose await of this would let a second
   * waiter pass the check in between — so two waiters cannot both start. Across instances
   * sharing the database, its unique index (migration 010) makes the run's insert the check.
   */
  async #reserve(conversationId: string): Promise<void> {
    for (;;) {
      if (this.#starting.has(conversationId)) {
        throw new ConflictError(`conversation ${conversationId} already has a run starting`);
      }
      const run = [...this.#active.values()].find((r) => r.conversationId === conversationId);
      if (!run) {
        this.#starting.add(conversationId);
        return;
      }
      if (!run.ended()) {
        throw new ConflictError(`conversation ${conversationId} already has a run in progress`);
      }
      this.#waiting++;
      try {
        await run.done;
      } finally {
        this.#waiting--;
      }
    }
  }

  /** Starts under way: between the conversation's check and the run's registration. */
  get startingRuns(): number {
    return this.#starting.size;
  }

  /** Starts waiting for their conversation's previous run to finish recording. */
  get waitingStarts(): number {
    return this.#waiting;
  }

  /** The outcome of a run active here; undefined when it is not running here. */
  whenDone(runId: string): Promise<RunOutcome> | undefined {
    return this.#active.get(runId)?.done;
  }

  /**
   * The scope of a run active here (undefined otherwise): gateway calls a remote agent makes for
   * its run join it there, adding to its totals and stopped with it.
   */
  scopeOf(runId: string): RunScope | undefined {
    return this.#active.get(runId)?.scope;
  }

  /** Stops a running run; false when it is not running here. */
  cancel(
    runId: string,
    reason: "cancelled" | "interrupted" | typeof STORAGE_FULL | typeof LEASE_LOST = "cancelled",
  ): boolean {
    const run = this.#active.get(runId);
    if (!run) return false;
    run.abort.abort(reason);
    return true;
  }

  /**
   * Too many events wait to be stored (journals' backlog at its bound): every active run that is
   * still working stops, ending with RUN_ERROR code storage_unavailable; what they emitted is
   * kept and stored when the database is back. New runs are refused until then (start()).
   */
  stopForStorage(pending: number): void {
    const working = [...this.#active].filter(([, r]) => !r.ended());
    log.error("{pending} events wait to be stored: stopping {runs} runs, refusing new ones", {
      pending,
      runs: working.length,
    });
    for (const [id] of working) this.cancel(id, STORAGE_FULL);
  }

  /**
   * This instance's lease is about to expire unrenewed (instance_lease.ts): another instance may
   * take its runs over. Every run still working stops (RUN_ERROR lease_lost, its model calls
   * cancelled), new runs are refused until `leaseRenewed`. Returns every active run's id —
   * those still recording too — whose unstored events must be checked against a takeover.
   */
  stopForLease(): string[] {
    this.#fenced = true;
    const ids = [...this.#active.keys()];
    const working = [...this.#active].filter(([, r]) => !r.ended());
    log.error("Instance lease lost: stopping {runs} runs, refusing new ones", {
      runs: working.length,
    });
    for (const [id] of working) this.cancel(id, LEASE_LOST);
    return ids;
  }

  leaseRenewed(): void {
    this.#fenced = false;
  }

  /** Refuses new runs, interrupts every active run and waits for them to record their end. */
  async shutdown(): Promise<void> {
    this.#refusing = true;
    for (const id of this.#active.keys()) this.cancel(id, "interrupted");
    await Promise.allSettled([...this.#active.values()].map((r) => r.done));
  }
}
