import assert from "node:assert/strict";
import { ClockError, createClockTool, validateTimeZone } from "./clock.ts";
import type { ToolContext } from "../../runtime/types.ts";

const ctx = {} as ToolContext; // the clock needs no context
const pinned = createClockTool(() => new Date("2026-11-17T13:03:12Z"));

Deno.test("clock: UTC by default, with weekday, date, time and ISO timestamp", async () => {
  assert.equal(
    await pinned.run({}, ctx),
    "It is Tuesday, 17 November 2026, 13:03:12 in UTC (GMT). ISO 8601 (UTC): 2026-11-17T13:03:12.000Z.",
  );
});

Deno.test("clock: IANA time zones, including offsets that cross midnight", async () => {
  assert.match(
    await pinned.run({ timezone: "Europe/Paris" }, ctx),
    /14:03:12 in Europe\/Paris \(GMT\+01:00\)/,
  );
  assert.match(
    await pinned.run({ timezone: "Asia/Kolkata" }, ctx),
    /18:33:12 in Asia\/Kolkata \(GMT\+05:30\)/,
  );
  assert.match(
    await pinned.run({ timezone: "Pacific/Kiritimati" }, ctx),
    /^It is Wednesday, 18 November 2026, 03:03:12 in Pacific\/Kiritimati \(GMT\+14:00\)/,
  );
  // Any case is accepted and shown canonically.
  assert.match(
    await pinned.run({ timezone: "america/new_york" }, ctx),
    /08:03:12 in America\/New_York/,
  );
});

Deno.test("clock: a bad zone is a clear error", async () => {
  await assert.rejects(
    pinned.run({ timezone: "Mars/Olympus_Mons" }, ctx),
    (err) =>
      err instanceof ClockError && /unknown time zone "Mars\/Olympus_Mons".*IANA/.test(err.message),
  );
  await assert.rejects(pinned.run({ timezone: 5 }, ctx), /must be a string/);
  assert.throws(() => validateTimeZone("Not a zone"), ClockError);
});

Deno.test("clock: the real clock is used by default; progress messages are friendly", async () => {
  const before = Date.now();
  const iso = /ISO 8601 \(UTC\): (\S+)\.$/.exec(await createClockTool().run({}, ctx))![1];
  assert.ok(Math.abs(Date.parse(iso) - before) < 5_000);
  assert.equal(pinned.progressMessage?.({}), "Checking the clock");
  assert.equal(
    pinned.progressMessage?.({ timezone: "Asia/Tokyo" }),
    "Checking the clock in Asia/Tokyo",
  );
});
