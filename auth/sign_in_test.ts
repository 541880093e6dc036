import assert from "node:assert/strict";
import { DEFAULT_PARAMS, needsRehash, parsePhc, verifyPassword } from "./password.ts";
import { DUMMY_HASH } from "./sign_in.ts";

Deno.test("sign-in: the dummy hash costs what a real one does (the default parameters)", async () => {
  assert.deepEqual(parsePhc(DUMMY_HASH)?.params, DEFAULT_PARAMS);
  assert.equal(needsRehash(DUMMY_HASH), false);
  assert.equal(await verifyPassword("a guess", DUMMY_HASH), false);
});
