/**
 * The current date and time. Models have no clock of their own and guess badly, so they get one.
 * Without a time zone the answer is in UTC: the server's zone says nothing about the user's.
 */
import type { ToolDef } from "../../runtime/types.ts";

export class ClockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ClockError";
  }
}

/** Returns the zone as named (case fixed: Intl accepts any case), or throws ClockError. */
export function validateTimeZone(zone: string): string {
  try {
    const resolved =
      new Intl.DateTimeFormat("en-GB", { timeZone: zone }).resolvedOptions().timeZone;
    // Intl maps some names to older aliases (Asia/Kolkata → Asia/Calcutta): keep the asked name.
    return resolved.toLowerCase() === zone.toLowerCase() ? resolved : zone;
  } catch {
    throw new ClockError(
      `unknown time zone "${zone}": use an IANA name such as "Europe/Paris", ` +
        `"America/New_York" or "UTC"`,
    );
  }
}

/** "Tuesday, 17 November 2026, 14:03:12 in Europe/Paris (GMT+01:00); ISO 8601 UTC: …". */
export function describeTime(now: Date, zone: string): string {
  const local = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).format(now);
  const offset = new Intl.DateTimeFormat("en-GB", { timeZone: zone, timeZoneName: "longOffset" })
    .formatToParts(now).find((p) => p.type === "timeZoneName")?.value ?? "";
  return `It is ${local.replace(" at ", ", ")} in ${zone} (${offset}). ` +
    `ISO 8601 (UTC): ${now.toISOString()}.`;
}

/** `now` is injectable so tests can pin the time. */
export function createClockTool(now: () => Date = () => new Date()): ToolDef {
  return {
    name: "clock",
    description: "Returns the current date, time and weekday. Pass an IANA time zone " +
      '(e.g. "Asia/Tokyo") for local time; without one the answer is in UTC.',
    parameters: {
      type: "object",
      properties: {
        timezone: {
          type: "string",
          description: 'IANA time zone name such as "Europe/Paris"; default "UTC".',
        },
      },
      additionalProperties: false,
    },
    progressMessage: (args) =>
      typeof args.timezone === "string" && args.timezone.length <= 40
        ? `Checking the clock in ${args.timezone}`
        : "Checking the clock",
    run(args) {
      try {
        const raw = args.timezone ?? "UTC";
        if (typeof raw !== "string") throw new ClockError('"timezone" must be a string');
        const zone = validateTimeZone(raw.trim() || "UTC");
        return Promise.resolve(describeTime(now(), zone));
      } catch (err) {
        return Promise.reject(err);
      }
    },
  };
}

export const clockTool: ToolDef = createClockTool();
