/**
 * Problems in a team file, each placed at `file:line:col` through the YAML document's node
 * ranges: a scalar value at the value, a collection or an unknown key at its key, a missing key
 * at the object that lacks it, anything inside an alias at its anchor (where the text is).
 * Messages never quote a source line or a value, so a key written by mistake is not repeated.
 */
import { isAlias, isMap, isScalar, isSeq, type LineCounter, type Node, parseDocument } from "yaml";
import type { z } from "zod";

export type Doc = ReturnType<typeof parseDocument>;
export type Path = readonly (string | number)[];

export interface Problem {
  line: number;
  col: number;
  /** `agents.helper.model`, `providers.local.prices` … ("" for the document). */
  path: string;
  message: string;
}

/** Every problem of one file, sorted by position; the message has one line per problem. */
export class TeamFileError extends Error {
  readonly problems: Problem[];

  constructor(readonly file: string, problems: Problem[]) {
    const sorted = [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
    super(sorted.map((p) => formatProblem(file, p)).join("\n"));
    this.problems = sorted;
    this.name = "TeamFileError";
  }
}

export function formatProblem(file: string, p: Problem): string {
  return `${file}:${p.line}:${p.col}: ${p.path ? `${p.path}: ` : ""}${p.message}`;
}

/** `["agents", "helper", "tools", 1]` → `agents.helper.tools[1]` */
export function formatPath(path: Path): string {
  return path.map((k, i) => typeof k === "number" ? `[${k}]` : i === 0 ? k : `.${k}`).join("");
}

/** Places problems found at paths of the parsed value. */
export class Placer {
  constructor(private readonly doc: Doc, private readonly lines: LineCounter) {}

  at(path: Path, message: string, keyName?: string): Problem {
    const full = keyName === undefined ? path : [...path, keyName];
    return { ...this.lines.linePos(this.#offset(path, keyName)), path: formatPath(full), message };
  }

  /** zod's issues as problems: one per unknown key, a missing key at its object. */
  zodProblems(error: z.ZodError): Problem[] {
    return error.issues.flatMap((issue): Problem[] => {
      if (issue.code === "unrecognized_keys") {
        return issue.keys.map((key) => this.at(issue.path, "unknown key", key));
      }
      if (issue.code === "invalid_type" && issue.received === "undefined") {
        return [this.at(issue.path.slice(0, -1), "is required", String(issue.path.at(-1)))];
      }
      // Our only plain union is an agent's `mcp` entry; zod would say just "Invalid input".
      const message = issue.code === "invalid_union"
        ? "must be an MCP server name or { server, tools: [...] }"
        : issue.message;
      return [this.at(issue.path, message)];
    });
  }

  /**
   * The source offset for a path: the deepest node that exists along it. With `keyName`, the
   * key of that name in the map at `path` (an unknown key), or the map itself when absent.
   */
  #offset(path: Path, keyName?: string): number {
    const doc = this.doc;
    let node: unknown = doc.contents;
    let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
    const steps = keyName === undefined ? path : [...path, keyName];
    for (const [i, step] of steps.entries()) {
      if (isAlias(node)) {
        node = node.resolve(doc);
        offset = (node as Node | undefined)?.range?.[0] ?? offset;
      }
      const last = i === steps.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === step);
        if (!pair) break;
        const atKey = last && (keyName !== undefined || isMap(pair.value) || isSeq(pair.value));
        const at = atKey ? pair.key : pair.value ?? pair.key;
        offset = (at as Node | null)?.range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof step === "number" && node.items[step] !== undefined) {
        node = node.items[step];
        offset = (node as Node).range?.[0] ?? offset;
      } else break;
    }
    return offset;
  }
}
