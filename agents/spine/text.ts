/**
 * Text that is safe to store and to cut, for everything that ends up in events, llm_calls rows or
 * pages: one code-point-safe cut (a prefix never ends inside a surrogate pair, which Postgres'
 * jsonb would reject and a page would show as garbage), and Postgres-storable strings.
 */

/** The first `max` UTF-16 units of `text` at most, never ending inside a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = max > 0 && isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : Math.max(0, max);
  return text.slice(0, end);
}

/** `text` when it fits in `max` units; otherwise its start and `ellipsis`, `max` units in all. */
export function truncate(text: string, max: number, ellipsis = "…"): string {
  return text.length <= max ? text : clip(text, max - ellipsis.length) + ellipsis;
}

/**
 * Postgres rejects NUL in text and jsonb, and an unpaired UTF-16 surrogate in jsonb; either would
 * lose the whole row, so both become U+FFFD (the replacement character). Clean text is returned
 * as it is.
 */
export function storable(s: string): string {
  return s.isWellFormed() && !s.includes("\0") ? s : s.toWellFormed().replaceAll("\0", "\uFFFD");
}

/**
 * `storable` applied to every string (keys too) of a JSON-like value. Copy on write: a value
 * with nothing to repair is returned as it is (the journal runs this on every event).
 */
export function storableJson(value: unknown): unknown {
  if (typeof value === "string") return storable(value);
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v = storableJson(value[i]);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return out ?? value;
  }
  if (value !== null && typeof value === "object") {
    let out: Record<string, unknown> | null = null;
    const entries = Object.entries(value);
    for (let i = 0; i < entries.length; i++) {
      const [k, v] = entries[i];
      const [ck, cv] = [storable(k), storableJson(v)];
      if (out === null && (ck !== k || cv !== v)) {
        out = Object.fromEntries(entries.slice(0, i));
      }
      if (out !== null) out[ck] = cv;
    }
    return out ?? value;
  }
  return value;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
