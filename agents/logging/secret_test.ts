import assert from "node:assert/strict";
import { redact, Secret } from "./secret.ts";

Deno.test("Secret: prints as its source in every form; reveal() gives the value", () => {
  const s = new Secret("sk-live-TOPSECRET", "$OPENAI_API_KEY");
  const forms = [
    String(s),
    `${s}`,
    JSON.stringify({ key: s }),
    Deno.inspect({ key: s }, { depth: 5 }),
    Deno.inspect(new Map([["k", [s]]]), { depth: 5 }),
  ];
  for (const form of forms) {
    assert.ok(!form.includes("TOPSECRET"), form);
    assert.match(form, /\[secret \$OPENAI_API_KEY\]/);
  }
  assert.equal(s.reveal(), "sk-live-TOPSECRET");
});

Deno.test("redact: removes revealed values from outside text, leaves short ones", () => {
  const token = new Secret("Bearer ghp_abc123", "$GH_TOKEN");
  const tiny = new Secret("on", "$FLAG");
  assert.equal(
    redact("401: bad Bearer ghp_abc123 (Bearer ghp_abc123) on", [token, tiny]),
    "401: bad [secret $GH_TOKEN] ([secret $GH_TOKEN]) on",
  );
});
