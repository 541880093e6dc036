/**
 * Single sign-on against a real OpenID provider (npm oidc-provider, started here) over real HTTP:
 * new users from an allowed domain, the admin role from a groups claim, an invited user from
 * another domain linked at first sign-in; and refused: a disallowed domain, an unverified email,
 * a tampered state, an ID token with another request's nonce, an unreachable provider. The
 * client secret never reaches a log or a page.
 */
import assert from "node:assert/strict";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { startTestProvider, type TestAccount, type TestProvider } from "./support/oidc_provider.ts";
import { startGlassbox, type TestServer } from "./support/server.ts";
import { Browser } from "./support/users.ts";

const ignore = await skipWithoutPostgres();

const ACCOUNTS: Record<string, TestAccount> = {
  alice: {
    email: "Alice@Example.com",
    email_verified: true,
    name: "Alice",
    groups: ["staff", "glassbox-admins"],
  },
  bob: { email: "bob@example.com", email_verified: true, groups: ["staff"] },
  mallory: { email: "mallory@evil.example", email_verified: true },
  eve: { email: "eve@example.com", email_verified: false },
  carol: { email: "carol@partner.example", email_verified: true },
};

interface Sso {
  gb: TestServer;
  op: TestProvider;
  logs: string[];
  /**
   * Signs `account` in from a fresh browser: start at Glassbox, through the provider, back to
   * the callback. `tamper` may change the provider's URL or the callback before they are used.
   */
  signIn(account: string, tamper?: {
    authorize?: (url: URL) => void;
    callback?: (url: URL) => void;
  }): Promise<{ browser: Browser; res: Response }>;
}

async function withSso(fn: (s: Sso) => Promise<void>) {
  const db = await freshPostgres();
  const logs: string[] = [];
  let op: TestProvider | undefined;
  const gb = await startGlassbox(async (url) => {
    op = await startTestProvider({
      redirectUris: [`${url}/auth/oidc/callback`],
      accounts: ACCOUNTS,
    });
    return {
      DATABASE_URL: db.url,
      GLASSBOX_OIDC_ISSUER: op.issuer,
      GLASSBOX_OIDC_CLIENT_ID: op.clientId,
      GLASSBOX_OIDC_CLIENT_SECRET: op.clientSecret,
      GLASSBOX_OIDC_SCOPES: "openid email profile groups",
      GLASSBOX_OIDC_ALLOWED_DOMAINS: "example.com",
      GLASSBOX_OIDC_ADMIN_CLAIM: "groups",
      GLASSBOX_OIDC_ADMIN_VALUE: "glassbox-admins",
    };
  }, { logs });
  const callback = `${gb.url}/auth/oidc/callback`;
  const signIn: Sso["signIn"] = async (account, tamper = {}) => {
    const browser = new Browser(gb.url);
    const start = await browser.fetch("/auth/oidc/start?next=%2Fcalls");
    assert.equal(start.status, 302, "off to the provider");
    let url = new URL(start.headers.get("location")!);
    url.searchParams.set("login_hint", account); // the headless provider signs this account in
    tamper.authorize?.(url);
    for (let hop = 0; !url.href.startsWith(callback); hop++) {
      assert.ok(hop < 10, "too many redirects");
      const res = await browser.jar.fetch(url);
      await res.body?.cancel();
      url = new URL(res.headers.get("location")!, url);
    }
    tamper.callback?.(url);
    const res = await browser.jar.fetch(url);
    return { browser, res };
  };
  try {
    await fn({ gb, op: op!, logs, signIn });
    assert.ok(!logs.some((l) => l.includes(op!.clientSecret)), "the client secret is not logged");
  } finally {
    await gb.close();
    await op?.close();
    await db.close();
  }
}

/** The users but the local one, as plain rows. */
async function users(gb: TestServer) {
  const rows = await gb.glassbox.deps.db.sql`
    SELECT email, role, oidc_subject FROM users
    WHERE id <> '00000000-0000-0000-0000-000000000001' ORDER BY email`;
  return [...rows];
}

Deno.test({
  name: "oidc: sign-in creates users of allowed domains; the admin role follows the claim",
  ignore,
}, () =>
  withSso(async ({ gb, op, signIn }) => {
    const page = await (await new Browser(gb.url).fetch("/sign-in")).text();
    assert.match(page, /Sign in with single sign-on/);

    const alice = await signIn("alice");
    assert.equal(alice.res.status, 303);
    assert.equal(alice.res.headers.get("location"), "/calls", "back where sign-in started");
    assert.ok(alice.browser.session, "a session cookie");
    assert.equal((await alice.browser.fetch("/admin/users")).status, 200, "an admin by groups");
    const bob = await signIn("bob");
    assert.equal(bob.res.status, 303);
    assert.equal((await bob.browser.fetch("/admin/users")).status, 403, "a member");
    assert.deepEqual((await users(gb)).map((u) => [u.email, u.role, u.oidc_subject]), [
      ["alice@example.com", "admin", "alice"],
      ["bob@example.com", "member", "bob"],
    ]);
    // The second sign-in finds the same user by (issuer, subject).
    assert.equal((await signIn("alice")).res.status, 303);
    assert.equal((await users(gb)).length, 2);
    const audit = await gb.glassbox.deps.db.sql`
      SELECT target, detail FROM audit_log WHERE action = 'sign_in' ORDER BY id`;
    assert.deepEqual(audit.map((a) => [a.target, a.detail]), [
      ["alice@example.com", { method: "oidc", created: true }],
      ["bob@example.com", { method: "oidc", created: true }],
      ["alice@example.com", { method: "oidc" }],
    ]);
    // No page shows the client secret.
    for (const path of ["/sign-in", "/admin/users", "/admin/audit", "/account"]) {
      const html = await (await alice.browser.fetch(path)).text();
      assert.ok(!html.includes(op.clientSecret), path);
    }
  }));

Deno.test({
  name:
    "oidc: an invited user of another domain is linked; strangers and the unverified are not let in",
  ignore,
}, () =>
  withSso(async ({ gb, signIn }) => {
    const sql = gb.glassbox.deps.db.sql;
    for (const [who, reason] of [["mallory", "domain_not_allowed"], ["eve", "email_unverified"]]) {
      const { res, browser } = await signIn(who);
      assert.equal(res.status, 403, who);
      assert.match(await res.text(), /may not sign in/);
      assert.equal(browser.session, undefined);
      const [entry] = await sql`
        SELECT detail->>'reason' AS reason FROM audit_log WHERE action = 'sign_in_failed'
        ORDER BY id DESC LIMIT 1`;
      assert.equal(entry.reason, reason);
    }
    assert.deepEqual(await users(gb), [], "nobody was created");

    // An admin invites carol (no password: single sign-on only); her first sign-in links her.
    await gb.glassbox.deps.auth.users.create({ userId: null, email: "test", ip: "" }, {
      email: "carol@partner.example",
      role: "member",
      password: null,
    });
    const carol = await signIn("carol");
    assert.equal(carol.res.status, 303);
    assert.equal((await carol.browser.fetch("/account")).status, 200);
    assert.deepEqual((await users(gb)).map((u) => [u.email, u.oidc_subject]), [
      ["carol@partner.example", "carol"],
    ]);
  }));

Deno.test(
  { name: "oidc: a tampered state and another request's nonce are refused", ignore },
  () =>
    withSso(async ({ gb, signIn }) => {
      const tampered = await signIn("bob", {
        callback: (url) => url.searchParams.set("state", "not-the-state-we-sent"),
      });
      assert.equal(tampered.res.status, 400);
      assert.match(await tampered.res.text(), /Sign-in failed, please try again/);
      assert.equal(tampered.browser.session, undefined);

      // The provider is asked with our state and PKCE but another nonce: the ID token it issues
      // is one minted for some other request, and its nonce gives it away.
      const foreign = await signIn("bob", {
        authorize: (url) => url.searchParams.set("nonce", "a-nonce-from-elsewhere"),
      });
      assert.equal(foreign.res.status, 400);
      assert.equal(foreign.browser.session, undefined);

      // A callback with no sign-in started in this browser (no pending login cookie).
      const stray = await new Browser(gb.url).fetch("/auth/oidc/callback?code=x&state=y");
      assert.equal(stray.status, 400);
      await stray.body?.cancel();

      const reasons = await gb.glassbox.deps.db.sql`
      SELECT detail->>'reason' AS reason FROM audit_log WHERE action = 'sign_in_failed' ORDER BY id`;
      assert.deepEqual(reasons.map((r) => r.reason), [
        "OAUTH_INVALID_RESPONSE",
        "OAUTH_JWT_CLAIM_COMPARISON_FAILED",
        "no_pending_login",
      ]);
      assert.deepEqual(await users(gb), [], "nobody signed in");
    }),
);

Deno.test(
  { name: "oidc: an unreachable provider is a clear page, not a crash", ignore },
  async () => {
    const db = await freshPostgres();
    // A port that was just free: nothing listens there.
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    const gb = await startGlassbox({
      DATABASE_URL: db.url,
      GLASSBOX_OIDC_ISSUER: `http://127.0.0.1:${port}`,
      GLASSBOX_OIDC_CLIENT_ID: "glassbox",
      GLASSBOX_OIDC_CLIENT_SECRET: "s3cret-value",
      GLASSBOX_OIDC_ADMIN_CLAIM: "groups",
      GLASSBOX_OIDC_ADMIN_VALUE: "admins",
    });
    try {
      const res = await new Browser(gb.url).fetch("/auth/oidc/start");
      assert.equal(res.status, 503);
      const html = await res.text();
      assert.match(html, /The sign-in provider is unreachable/);
      assert.ok(!html.includes("s3cret-value"));
    } finally {
      await gb.close();
      await db.close();
    }
  },
);
