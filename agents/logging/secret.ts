/**
 * Values that must never be printed: API keys and the MCP env values and headers a team file
 * takes from environment variables. A `Secret` prints as `[secret $NAME]` however it is turned
 * into text (String, JSON, Deno and Node inspect); only `reveal()` gives the value, at the one
 * place it is handed to a client. `redact` removes revealed values from text that came back from
 * outside (an MCP server's stderr or an HTTP error body may echo its own token).
 */
export class Secret {
  readonly #value: string;

  /** `source` names where the value came from, e.g. "$OPENAI_API_KEY". */
  constructor(value: string, readonly source: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return `[secret ${this.source}]`;
  }

  toJSON(): string {
    return this.toString();
  }

  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** Values shorter than this are not redacted: "1" or "on" would shred unrelated text. */
const MIN_REDACTED = 4;

/** `text` with every occurrence of each secret's value replaced by its printed form. */
export function redact(text: string, secrets: Iterable<Secret>): string {
  let out = text;
  for (const s of secrets) {
    const value = s.reveal();
    if (value.length >= MIN_REDACTED) out = out.replaceAll(value, s.toString());
  }
  return out;
}
