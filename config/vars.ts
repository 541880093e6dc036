/**
 * The builders every config/ module declares its variables with. Messages quote the raw value,
 * so the builders are made per environment (`varBuilders(env)`).
 */
import { z } from "zod";

export type Env = Record<string, string | undefined>;

export function varBuilders(env: Env) {
  const integer = (name: string, fallback: number, min: number, max: number) => {
    const message = `${name}=${JSON.stringify(env[name])} must be an integer from ${min} to ${max}`;
    return z.coerce.number({ message }).int({ message }).min(min, { message })
      .max(max, { message }).default(fallback);
  };
  const url = (name: string, protocols: string[]) =>
    z.string().url({ message: `${name} is not a URL` }).refine(
      (raw) => !URL.canParse(raw) || protocols.includes(new URL(raw).protocol),
      (raw) => ({
        message: `${name} must start with ${protocols.join(" or ")} (got ${new URL(raw).protocol})`,
      }),
    ).optional();
  const flag = (name: string) =>
    z.enum(["0", "1", "true", "false"], {
      errorMap: () => ({ message: `${name}=${JSON.stringify(env[name])} must be 1 or 0` }),
    }).transform((f) => f === "1" || f === "true").default("0");
  return { env, integer, url, flag };
}

export type VarBuilders = ReturnType<typeof varBuilders>;

/** The parsed values of one module's variables (`vars` returns its zod shape). */
export type Parsed<Vars extends (b: VarBuilders) => z.ZodRawShape> = z.infer<
  z.ZodObject<ReturnType<Vars>>
>;

export function jsonOrUndefined(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
