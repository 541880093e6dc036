/**
 * The team Glassbox runs: the file GLASSBOX_AGENTS names, or the built-in team (a YAML file
 * shipped inside the program, read through the same parser). A file is reloaded on SIGHUP and
 * when it changes: new runs get the new team, running runs finish with theirs; an edit that does
 * not validate keeps the last good team, and status() says why until a good one loads.
 */
import type { Config } from "../../config.ts";
import type { Logger } from "../logging/logging.ts";
import {
  environmentModel,
  environmentProviders,
  ProviderRegistry,
  type ProviderRuntime,
  RESERVED_PROVIDERS,
} from "../llm/providers.ts";
import type { McpServers } from "../mcp/servers.ts";
import BUILTIN_TEAM from "./builtin_team.yaml" with { type: "text" };
import type { Problem } from "./positions.ts";
import { Team } from "./team.ts";
import { type LoadContext, parseTeamFile, TeamFileError, type TeamSpec } from "./team_file.ts";
import { type FileWatch, watchFile } from "./watch_file.ts";

export const BUILTIN_SOURCE = "built-in";
/**
 * How long a new team waits for its MCP servers' first connection before it is used anyway (their
 * tools then appear as soon as they are listed): a hung server must not hold start-up for long.
 */
const MCP_READY_WAIT_MS = 10_000;

export interface TeamHolderOptions {
  config: Config;
  providers: ProviderRuntime;
  /** The demo provider's base URL (reached in-process). */
  demoBaseUrl: string;
  mcp: McpServers;
  log: Logger;
  /** Wait between a file event and reading the file. */
  debounceMs?: number;
}

/** A team file as read, validated. */
export interface TeamFileText {
  text: string;
  spec: TeamSpec;
}

export interface TeamStatus {
  source: string;
  version: string;
  loadedAt: Date;
  /** The last reload that failed, and why; null since the last good one. */
  error: { at: Date; message: string; problems: Problem[] } | null;
}

export class TeamHolder {
  #current: Team;
  #loadedAt = new Date();
  #error: TeamStatus["error"] = null;
  #watch: FileWatch | null = null;
  #closed = false;

  private constructor(private readonly o: TeamHolderOptions, first: Team) {
    this.#current = first;
  }

  /** Reads and validates the team file; throws TeamFileError with every problem. */
  static async read(config: Config): Promise<TeamFileText> {
    const file = config.teamFile;
    const text = file === null ? BUILTIN_TEAM : await readTeamFile(file);
    return { text, spec: parseTeamFile(text, file ?? BUILTIN_SOURCE, loadContext(config)) };
  }

  /** Starts the team read() validated (its MCP servers make their first attempt) and watches. */
  static async start(first: TeamFileText, o: TeamHolderOptions): Promise<TeamHolder> {
    const file = o.config.teamFile;
    const team = build(o, first.spec);
    await readyOrNot(team, o);
    const holder = new TeamHolder(o, team);
    if (file !== null) {
      holder.#watch = watchFile(file, {
        initialText: first.text,
        debounceMs: o.debounceMs,
        onText: (next, reason) => holder.#reload(next, reason),
        onError: (err) => holder.#failed(new TeamFileError(file, [unreadable(err)])),
      });
    }
    o.log.info("Team {source} version {version}: entry agents {entries}", {
      source: team.spec.source,
      version: team.version,
      entries: team.spec.entry.join(", "),
    });
    return holder;
  }

  /** The team new runs get. */
  current(): Team {
    return this.#current;
  }

  /** The current team, held until release(): what a run starts with. */
  acquire(): Team {
    return this.#current.retain();
  }

  status(): TeamStatus {
    return {
      source: this.#current.spec.source,
      version: this.#current.version,
      loadedAt: this.#loadedAt,
      error: this.#error,
    };
  }

  /** Reads the file again now (what SIGHUP does); resolves when the reload is done. */
  async reload(reason: string): Promise<void> {
    await this.#watch?.reload(reason);
  }

  /** Stops watching and lets go of the current team (runs may still hold theirs). */
  close(): void {
    this.#closed = true;
    this.#watch?.close();
    this.#current.release();
  }

  async #reload(text: string, reason: string): Promise<void> {
    const t0 = performance.now();
    const { config } = this.o;
    let next: Team;
    try {
      next = build(this.o, parseTeamFile(text, config.teamFile!, loadContext(config)));
    } catch (err) {
      if (err instanceof TeamFileError) return this.#failed(err);
      throw err;
    }
    // New MCP servers get their first attempt before new runs can use their tools.
    await readyOrNot(next, this.o);
    if (this.#closed) return next.release();
    const old = this.#current;
    this.#current = next;
    this.#loadedAt = new Date();
    this.#error = null;
    old.release();
    this.o.log.info("Team reloaded ({reason}): version {version} in {ms} ms", {
      reason,
      version: next.version,
      ms: Math.round(performance.now() - t0),
    });
  }

  #failed(err: TeamFileError): void {
    this.#error = { at: new Date(), message: err.message, problems: err.problems };
    this.o.log.error(
      "Team file not reloaded, still running version {version}:\n{problems}",
      { version: this.#current.version, problems: err.message },
    );
  }
}

async function readyOrNot(team: Team, o: TeamHolderOptions): Promise<void> {
  const ready = team.ready().then(() => true);
  const late = new Promise<false>((resolve) => {
    const timer = setTimeout(resolve, MCP_READY_WAIT_MS, false);
    void ready.then(() => clearTimeout(timer));
  });
  if (await Promise.race([ready, late])) return;
  o.log.warn("MCP servers still connecting after {s} s; the team is used without their tools", {
    s: MCP_READY_WAIT_MS / 1000,
  });
}

function loadContext(config: Config): LoadContext {
  return {
    env: config.lookupEnv,
    implicitProviders: new Set(environmentProviders(config, "").map((p) => p.name)),
    reservedProviders: RESERVED_PROVIDERS,
    defaultModel: environmentModel(config),
  };
}

function build(o: TeamHolderOptions, spec: TeamSpec): Team {
  const providers = new ProviderRegistry(
    [...environmentProviders(o.config, o.demoBaseUrl), ...spec.providers],
    o.providers,
  );
  return new Team(spec, providers, o.mcp);
}

async function readTeamFile(file: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (err) {
    throw new TeamFileError(file, [unreadable(err)]);
  }
}

function unreadable(err: unknown): Problem {
  const why = err instanceof Error ? err.message : String(err);
  return { line: 1, col: 1, path: "", message: `cannot be read: ${why}` };
}
