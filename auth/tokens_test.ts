import assert from "node:assert/strict";
import {
  digestsEqual,
  newApiKey,
  newSessionToken,
  parseApiKey,
  redactSecrets,
  sessionDigest,
} from "./tokens.ts";

Deno.test("session tokens: 256-bit, stored as SHA-256, malformed cookies rejected", async () => {
  const { token, digest } = await newSessionToken();
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(digest.length, 32);
  assert.ok(digestsEqual((await sessionDigest(token))!, digest));
  for (const bad of [undefined, "", "x", token + "=", token.slice(1) + "\0"]) {
    assert.equal(await sessionDigest(bad), null);
  }
});

Deno.test("API keys: format, parse, digest, redaction", async () => {
  const { key, id, digest } = await newApiKey();
  assert.match(key, /^gb_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/);
  const parsed = (await parseApiKey(key))!;
  assert.equal(parsed.id, id);
  assert.ok(digestsEqual(parsed.digest, digest));
  assert.equal(await parseApiKey(key + "x"), null);
  assert.equal(await parseApiKey("Bearer " + key), null);
  const other = (await parseApiKey(key.slice(0, -1) + (key.endsWith("a") ? "b" : "a")))!;
  assert.ok(!digestsEqual(other.digest, digest));
  assert.equal(redactSecrets(`auth ${key} done`), `auth gb_live_${id}_… done`);
});
