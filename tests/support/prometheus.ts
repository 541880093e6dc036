/**
 * A strict reader of the Prometheus text exposition (format 0.0.4), for tests: every sample must
 * belong to a metric declared with # HELP and # TYPE, names and labels must be well formed, and
 * values must be numbers. Samples are keyed `name{a="x",b="y"}` with labels sorted.
 */
export interface Exposition {
  types: Map<string, string>;
  samples: Map<string, number>;
  /** The sample's value, 0 when absent (a counter not incremented yet). */
  value(name: string, labels?: Record<string, string>): number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const SUFFIXES = ["_bucket", "_sum", "_count", ""];

export function sampleKey(name: string, labels: Record<string, string> = {}): string {
  const parts = Object.keys(labels).sort().map((k) => `${k}="${labels[k]}"`);
  return parts.length ? `${name}{${parts.join(",")}}` : name;
}

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      if (!NAME.test(meta[2])) throw new Error(`bad metric name: ${line}`);
      if (meta[1] === "HELP") helps.add(meta[2]);
      else if (["counter", "gauge", "histogram", "summary", "untyped"].includes(meta[3])) {
        types.set(meta[2], meta[3]);
      } else throw new Error(`bad type: ${line}`);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample: ${line}`);
    const [, name, rawLabels, rawValue] = m;
    const family = SUFFIXES.map((s) =>
      name.endsWith(s) ? name.slice(0, name.length - s.length) : ""
    )
      .find((f) => f && types.has(f));
    if (!family || !helps.has(family)) throw new Error(`sample of an undeclared metric: ${line}`);
    const labels: Record<string, string> = {};
    const rest = (rawLabels ?? "").replace(LABEL, (_, k, v) => {
      labels[k] = v;
      return "";
    });
    if (rest.replaceAll(",", "") !== "") throw new Error(`bad labels: ${line}`);
    const value = Number(rawValue === "+Inf" ? Infinity : rawValue);
    if (Number.isNaN(value)) throw new Error(`bad value: ${line}`);
    samples.set(sampleKey(name, labels), value);
  }
  return {
    types,
    samples,
    value: (name, labels) => samples.get(sampleKey(name, labels)) ?? 0,
  };
}
