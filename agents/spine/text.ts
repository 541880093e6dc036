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
 * lose the whole row, so replace them with U+FFFD.
 */
export function storable(s: string): string {
  return s.toWellFormed().replaceAll("\0", "\uFFFD");
}

/** `storable` applied to every string (keys too) of a JSON-like value. */
export function storableJson(value: unknown): unknown {
  if (typeof value === "string") return storable(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[storable(k)] = storableJson(v);
    return out;
  }
  return value;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
