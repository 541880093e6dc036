/**
 * The edge, in every mode: security headers and a CSP that every page complies with (no inline
 * script, style or handler), the Host guard (DNS rebinding), CSRF on form posts and the
 * WebSocket Origin check, https behind a public URL or a trusted proxy (HSTS, a __Host- Secure
 * cookie, X-Forwarded-* only when trusted), and the open-mode warning.
 */
import assert from "node:assert/strict";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { parseDoc } from "./support/dom.ts";
import { startGlassbox, type TestServer } from "./support/server.ts";
import { connectWs } from "./support/ws_client.ts";
import { PAGES } from "./support/users.ts";

const ignore = await skipWithoutPostgres();
const ADMIN = {
  GLASSBOX_ADMIN_EMAIL: "root@example.com",
  GLASSBOX_ADMIN_PASSWORD: "correct horse battery staple",
};

async function withServer(env: Record<string, string>, fn: (gb: TestServer) => Promise<void>) {
  const db = await freshPostgres();
  const gb = await startGlassbox({ DATABASE_URL: db.url, ...env });
  try {
    await fn(gb);
  } finally {
    await gb.close();
    await db.close();
  }
}

const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
  body: new URLSearchParams(fields).toString(),
});

Deno.test(
  { name: "security: headers on every page, and no inline script or style in any", ignore },
  () =>
    withServer({}, async (gb) => {
      for (const path of [...PAGES, "/c/nope"]) {
        const res = await fetch(gb.url + path);
        const h = res.headers;
        const csp = h.get("content-security-policy") ?? "";
        for (
          const d of [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
          ]
        ) {
          assert.ok(csp.includes(d), `${path}: ${d} in ${csp}`);
        }
        assert.ok(!csp.includes("unsafe"), `${path}: nothing unsafe`);
        assert.equal(h.get("x-frame-options"), "DENY", path);
        assert.equal(h.get("x-content-type-options"), "nosniff", path);
        assert.equal(h.get("referrer-policy"), "same-origin", path);
        assert.equal(h.get("strict-transport-security"), null, `${path}: no HSTS over http`);
        const doc = parseDoc(await res.text());
        assert.deepEqual(
          [...doc.querySelectorAll("script:not([src])")].length,
          0,
          `${path}: inline script`,
        );
        const inline = [...doc.querySelectorAll("*")].flatMap((
          el: { attributes: { name: string }[]; tagName: string },
        ) =>
          [...el.attributes].filter((a) =>
            a.name === "style" || a.name.startsWith("on") || a.name.startsWith("hx-on")
          )
            .map((a) => `${el.tagName} ${a.name}`)
        );
        assert.deepEqual(inline, [], `${path}: inline style or handlers`);
      }
      // The JSON APIs carry them too (an API response opened in a tab is a document).
      const api = await fetch(`${gb.url}/api/v1/conversations`);
      await api.body?.cancel();
      assert.equal(api.headers.get("x-content-type-options"), "nosniff");
    }),
);

Deno.test({
  name: "security: Host guard, CSRF on forms, Origin on the WebSocket, even with no sign-in",
  ignore,
}, () =>
  withServer({}, async (gb) => {
    // DNS rebinding: another name that resolves here is not served.
    const rebound = await gb.glassbox.app.request("http://evil.example:8000/");
    assert.equal(rebound.status, 421);
    assert.equal((await rebound.json()).error.code, "unknown_host");
    for (const host of ["localhost:8000", "127.0.0.1:8000", "[::1]:8000"]) {
      const res = await gb.glassbox.app.request(`http://${host}/health`);
      assert.equal(res.status, 200, host);
      await res.body?.cancel();
    }

    // A form post from another origin (or a cross-site fetch) is refused; same-origin is not.
    const chat = (headers: Record<string, string>) =>
      fetch(`${gb.url}/chat`, form({ message: "hi" }, headers));
    for (
      const headers of <Record<string, string>[]> [
        { origin: "http://evil.example" },
        { origin: "http://127.0.0.1:1" },
        { origin: "null" },
        { "sec-fetch-site": "cross-site" },
        { "sec-fetch-site": "same-site", origin: "http://localhost:1" },
      ]
    ) {
      const res = await chat(headers);
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.deepEqual(await res.json(), {
        error: {
          code: "forbidden",
          message: "Cross-site request refused.",
          request_id: res.headers.get("x-request-id"),
        },
      });
    }
    const same = await chat({ origin: gb.url });
    assert.equal(same.status, 200);
    await same.text(); // to the run's end
    const [{ n }] = await gb.glassbox.deps.db.sql`SELECT count(*)::int AS n FROM runs`;
    assert.equal(n, 1, "only the same-origin post started a run");

    // The WebSocket: refused from another origin before the upgrade; fine from ours, and for
    // programs that send no Origin.
    await assert.rejects(connectWs(gb.url, { origin: "http://evil.example" }));
    const upgrade = await fetch(`${gb.url}/api/v1/ws`, {
      headers: {
        origin: "http://evil.example",
        upgrade: "websocket",
        connection: "Upgrade",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      },
    });
    assert.equal(upgrade.status, 403);
    assert.equal((await upgrade.json()).error.code, "forbidden_origin");
    for (const headers of <Record<string, string>[]> [{ origin: gb.url }, {}]) {
      const ws = await connectWs(gb.url, headers);
      ws.send({ type: "ping" });
      assert.equal((await ws.next((m) => m.type === "pong")).type, "pong");
      await ws.close();
    }
  }));

Deno.test({
  name: "security: behind https (a public URL): HSTS, a __Host- Secure cookie, only that host",
  ignore,
}, () =>
  withServer({ ...ADMIN, GLASSBOX_PUBLIC_URL: "https://gb.example.com" }, async (gb) => {
    const app = gb.glassbox.app;
    const page = await app.request("https://gb.example.com/sign-in");
    assert.equal(page.headers.get("strict-transport-security"), "max-age=31536000");
    await page.body?.cancel();
    assert.equal(
      (await app.request("http://localhost/health")).status,
      200,
      "loopback names still work",
    );
    assert.equal((await app.request("https://other.example.com/health")).status, 421);
    const signIn = await app.request(
      "https://gb.example.com/sign-in",
      form({ email: ADMIN.GLASSBOX_ADMIN_EMAIL, password: ADMIN.GLASSBOX_ADMIN_PASSWORD }, {
        origin: "https://gb.example.com",
      }),
    );
    assert.equal(signIn.status, 303);
    const cookie = signIn.headers.get("set-cookie")!;
    assert.match(cookie, /^__Host-gb_session=[A-Za-z0-9_-]{43}; /);
    assert.match(cookie, /; Secure/);
    assert.match(cookie, /; HttpOnly/);
    // The public origin is the one Origin must match, whatever the request URL says.
    const wrong = await app.request(
      "https://gb.example.com/sign-in",
      form({ email: "x@y.z", password: "p" }, { origin: "http://gb.example.com" }),
    );
    assert.equal(wrong.status, 403);
    await wrong.body?.cancel();
  }));

Deno.test(
  { name: "security: X-Forwarded-* count only behind a trusted proxy", ignore },
  async () => {
    const forwarded = {
      "x-forwarded-proto": "https",
      "x-forwarded-host": "gb.example.com",
      "x-forwarded-for": "203.0.113.9, 198.51.100.7",
      origin: "https://gb.example.com",
    };
    const attempt = (gb: TestServer) =>
      gb.glassbox.app.request(
        "http://127.0.0.1/sign-in",
        form({ email: "x@y.z", password: "p" }, forwarded),
      );
    await withServer({ ...ADMIN, GLASSBOX_TRUST_PROXY: "1" }, async (gb) => {
      const res = await attempt(gb);
      assert.equal(res.status, 401, "the proxy's origin is the public one");
      await res.body?.cancel();
      const [entry] = await gb.glassbox.deps.db.sql`
      SELECT ip FROM audit_log WHERE action = 'sign_in_failed'`;
      assert.equal(entry.ip, "198.51.100.7", "the address the proxy saw (its last entry)");
      const page = await gb.glassbox.app.request("http://127.0.0.1/sign-in", {
        headers: forwarded,
      });
      assert.equal(page.headers.get("strict-transport-security"), "max-age=31536000");
      await page.body?.cancel();
    });
    await withServer(ADMIN, async (gb) => {
      const res = await attempt(gb);
      assert.equal(res.status, 403, "untrusted X-Forwarded-Host: the Origin does not match");
      await res.body?.cancel();
    });
  },
);

Deno.test(
  { name: "security: GLASSBOX_AUTH=off warns on every page", ignore },
  () =>
    withServer({ GLASSBOX_AUTH: "off" }, async (gb) => {
      for (const path of ["/", "/calls", "/keys", "/c/nope"]) {
        const doc = parseDoc(await (await fetch(gb.url + path)).text());
        assert.match(
          doc.querySelector(".open-warning[role=alert]").textContent,
          /Sign-in is off \(GLASSBOX_AUTH=off\)/,
          path,
        );
      }
      const local = parseDoc(await (await fetch(gb.url.replace("127.0.0.1", "localhost"))).text());
      assert.ok(local.querySelector("header"));
    }),
);
