/**
 * `${NAME}` references in a team file: `${NAME}` is the variable's value, `${NAME:-fallback}`
 * the fallback when it is unset or empty, `$$` a literal `$`. Values come from the environment
 * Glassbox was started with. Nothing here quotes a value in a message.
 */
const REF = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{/g;

/** An API key field: exactly one reference, no fallback (a fallback would be a key in the file). */
export const ONLY_REF = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

export interface Substituted {
  value: string;
  /** The variables referenced, e.g. ["GH_TOKEN"]. */
  names: string[];
  /** What is wrong: an unset variable without fallback, a malformed reference. */
  problems: string[];
}

export function substitute(
  text: string,
  env: (name: string) => string | undefined,
): Substituted {
  const names: string[] = [];
  const problems: string[] = [];
  const value = text.replace(REF, (match, name?: string, fallback?: string) => {
    if (match === "$$") return "$";
    if (name === undefined) {
      problems.push("has a malformed ${…} reference: write ${NAME} or ${NAME:-fallback}");
      return match;
    }
    names.push(name);
    const v = env(name);
    if (v !== undefined && v !== "") return v;
    if (fallback !== undefined) return fallback;
    problems.push(`environment variable ${name} is not set`);
    return "";
  });
  return { value, names, problems };
}
