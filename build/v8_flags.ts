/**
 * The V8 flags Glassbox runs with, as `deno task start` gives them (deno.json), for what starts
 * main.ts itself and must run it as measured: the start-up bench, the flags test.
 */
import denoConfig from "../deno.json" with { type: "json" };

/** The `--v8-flags=…` value of a deno.json task's command line. */
export function v8FlagsOf(task: string): string {
  const m = / --v8-flags=(\S+) /.exec(` ${task} `);
  if (!m) throw new Error(`no --v8-flags in: ${task}`);
  return m[1];
}

/** The start task's, e.g. `--expose-gc,--max-semi-space-size=16`. */
export const START_V8_FLAGS = v8FlagsOf(denoConfig.tasks.start);
