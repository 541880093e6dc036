import assert from "node:assert/strict";
import { argon2Verify } from "hash-wasm";
import {
  DEFAULT_PARAMS,
  hashPassword,
  needsRehash,
  parsePhc,
  passwordInputError,
  verifyPassword,
} from "./password.ts";

const FAST = { memoryKiB: 1024, iterations: 1, parallelism: 1 };

Deno.test("password: PHC string format and round trip", async () => {
  const phc = await hashPassword("correct horse", DEFAULT_PARAMS);
  assert.match(phc, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.equal(await verifyPassword("correct horse", phc), true);
  assert.equal(await verifyPassword("correct horsf", phc), false);
  // interoperable with hash-wasm's own verifier
  assert.equal(await argon2Verify({ password: "correct horse", hash: phc }), true);
});

Deno.test("password: known-answer vector (argon2 reference CLI)", async () => {
  // `echo -n password | argon2 somesalt -id -t 2 -m 16 -p 1 -l 32 -e` (-m 16 = 2^16 KiB)
  const ref =
    "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
  assert.equal(await verifyPassword("password", ref), true);
  assert.equal(await verifyPassword("passwore", ref), false);
});

Deno.test("password: malformed or hostile stored hashes verify false, never throw", async () => {
  for (
    const bad of [
      "",
      "plain",
      "$argon2i$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
      "$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
      "$argon2id$v=19$m=1024,t=999,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
    ]
  ) assert.equal(await verifyPassword("password", bad), false, bad);
  assert.equal(
    parsePhc(
      "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
    )?.params.memoryKiB,
    65536,
  );
});

Deno.test("password: needsRehash", async () => {
  const phc = await hashPassword("pw", FAST);
  assert.equal(needsRehash(phc, FAST), false);
  assert.equal(needsRehash(phc, DEFAULT_PARAMS), true);
});

Deno.test("password: input checks and NFC", async () => {
  assert.equal(passwordInputError(""), "Password must not be empty.");
  assert.equal(passwordInputError("a\uD800"), "Password contains invalid characters.");
  assert.equal(passwordInputError("a\0b"), "Password contains invalid characters.");
  assert.equal(passwordInputError("x".repeat(1025)), "Password is too long.");
  assert.equal(passwordInputError("ok"), null);
  const phc = await hashPassword("caf\u00e9", FAST); // precomposed
  assert.equal(await verifyPassword("cafe\u0301", phc), true); // decomposed
});
