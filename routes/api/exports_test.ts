import assert from "node:assert/strict";
import { csvCell } from "./exports.ts";

Deno.test("csv cells: quoted when needed, objects as JSON, formulas defused", () => {
  assert.equal(csvCell(null), "");
  assert.equal(csvCell(42), "42");
  assert.equal(csvCell(-1), "-1", "a negative number is a number");
  assert.equal(csvCell("-1.5"), "-1.5");
  assert.equal(csvCell("plain"), "plain");
  assert.equal(csvCell('say "hi", twice\n'), '"say ""hi"", twice\n"');
  assert.equal(csvCell('=HYPERLINK("x")'), '"\'=HYPERLINK(""x"")"');
  assert.equal(csvCell("+1+1"), "'+1+1");
  assert.equal(csvCell("@SUM(A1)"), "'@SUM(A1)");
  assert.equal(csvCell({ a: [1, "b"] }), '"{""a"":[1,""b""]}"');
  assert.equal(csvCell(new Date(Date.UTC(2026, 0, 2))), "2026-01-02T00:00:00.000Z");
});
