import assert from "node:assert/strict";
import { clip, storable, storableJson, truncate } from "./text.ts";

Deno.test("clip: a prefix of at most max units that never splits a surrogate pair", () => {
  assert.equal(clip("hello", 10), "hello");
  assert.equal(clip("hello", 3), "hel");
  assert.equal(clip("abcd😀xyz", 5), "abcd", "the emoji is units 4–5: cut before it");
  assert.equal(clip("abcd😀xyz", 6), "abcd😀");
  assert.equal(clip("😀", 1), "");
  assert.equal(clip("abc", 0), "");
  for (let n = 0; n <= 12; n++) {
    const c = clip("a😀b😀c😀", n);
    assert.ok(c.length <= n && c.isWellFormed(), `${n}: ${JSON.stringify(c)}`);
  }
});

Deno.test("truncate: fits in max units, ellipsis included, code-point safe", () => {
  assert.equal(truncate("short", 10), "short");
  assert.equal(truncate("exactly10!", 10), "exactly10!");
  assert.equal(truncate("a little too long", 10), "a little …");
  assert.equal(truncate("abcdefgh😀ij", 10), "abcdefgh…", "no half emoji before the ellipsis");
  assert.equal(truncate("a".repeat(400), 301), `${"a".repeat(300)}…`);
  assert.equal(truncate("abcdef", 4, ""), "abcd");
});

Deno.test("storable: NUL and lone surrogates become U+FFFD, everywhere in JSON", () => {
  assert.equal(storable("a\0b\ud800c"), "a\uFFFDb\uFFFDc");
  assert.deepEqual(storableJson({ "k\0": ["\udc00", 1, null, { x: "ok" }] }), {
    "k\uFFFD": ["\uFFFD", 1, null, { x: "ok" }],
  });
});
