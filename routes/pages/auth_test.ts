import assert from "node:assert/strict";
import { safeNext } from "./auth.tsx";

Deno.test("sign-in: only a path on this site is a place to go next", () => {
  for (const ok of ["/", "/calls?period=7d", "/c/0000"]) assert.equal(safeNext(ok), ok);
  for (
    const bad of [
      "https://evil.example/",
      "//evil.example/",
      "/\\evil.example",
      "javascript:alert(1)",
      "calls",
      "/a\nb",
      "/" + "x".repeat(3000),
      undefined,
      42,
    ]
  ) assert.equal(safeNext(bad), "/", String(bad));
});
