/**
 * Accounts over real HTTP with a real Postgres, sign-in on: the first admin from the
 * environment, password sign-in (one generic error, throttling), sessions (a new id at every
 * sign-in so a planted one is useless, idle and absolute expiry, disabled users, role changes at
 * once, sign out everywhere, password change), API keys (shown once, stored hashed, scopes,
 * revocation, 401 in the error shape), per-user run limits, and that no secret reaches the logs
 * or a page.
 */
import assert from "node:assert/strict";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { postJson, startGlassbox, type TestServer } from "./support/server.ts";
import { accountsOf, Browser, PAGES, type TestAccount } from "./support/users.ts";
import { parseDoc } from "./support/dom.ts";
import { connectWs } from "./support/ws_client.ts";
import { LOCAL_USER_ID } from "../db/users.ts";
import { IP_POLICY } from "../auth/throttle.ts";

const ignore = await skipWithoutPostgres();
const ADMIN = { email: "root@example.com", password: "correct horse battery staple" };
const FAILED = "Email or password is incorrect.";

interface Stack {
  gb: TestServer;
  sql: TestServer["glassbox"]["deps"]["db"]["sql"];
  logs: string[];
  member(email: string): Promise<TestAccount>;
  /** Everything secret this test handled: none may appear in a log line. */
  secrets: string[];
}

function accountsTest(
  name: string,
  fn: (s: Stack) => Promise<void>,
  env: Record<string, string> = {},
) {
  Deno.test({ name: `accounts: ${name}`, ignore }, async () => {
    const db = await freshPostgres();
    const logs: string[] = [];
    const gb = await startGlassbox({
      DATABASE_URL: db.url,
      GLASSBOX_ADMIN_EMAIL: ADMIN.email,
      GLASSBOX_ADMIN_PASSWORD: ADMIN.password,
      ...env,
    }, { logs }).catch(async (e) => {
      await db.close();
      throw e;
    });
    const secrets = [ADMIN.password];
    try {
      await fn({
        gb,
        sql: db.sql,
        logs,
        secrets,
        member: async (email) => {
          const a = await accountsOf(gb).create(email);
          secrets.push(a.password);
          return a;
        },
      });
      const leaked = secrets.filter((secret) => logs.some((line) => line.includes(secret)));
      assert.deepEqual(leaked, [], "no secret in the logs");
    } finally {
      await gb.close();
      await db.close();
    }
  });
}

const html = async (res: Response) => parseDoc(await res.text());

accountsTest(
  "the first admin signs in; each sign-in is a new session; a planted id is useless",
  async (
    { gb, sql, secrets },
  ) => {
    // Signed out: pages go to the sign-in page, APIs answer 401 in the error shape.
    const anon = new Browser(gb.url);
    const home = await anon.fetch("/calls?period=7d");
    assert.equal(home.status, 303);
    assert.equal(home.headers.get("location"), "/sign-in?next=%2Fcalls%3Fperiod%3D7d");
    const api = await fetch(`${gb.url}/api/v1/conversations`);
    assert.equal(api.status, 401);
    assert.equal((await api.json()).error.code, "unauthorized");
    assert.match(api.headers.get("www-authenticate") ?? "", /^Bearer/);

    // An attacker signs in, and plants their session id in the victim's browser.
    const attacker = await accountsOf(gb).create("mallory@example.com");
    const mallory = new Browser(gb.url);
    assert.equal((await mallory.signIn(attacker.email, attacker.password)).status, 303);
    const planted = mallory.session!;
    secrets.push(planted, attacker.password);
    const victim = new Browser(gb.url);
    victim.jar.store(
      new URL(gb.url),
      new Response(null, { headers: { "set-cookie": `gb_session=${planted}; Path=/` } }),
    );
    assert.equal(victim.session, planted);

    const signedIn = await victim.signIn(ADMIN.email, ADMIN.password, "/calls");
    assert.equal(signedIn.status, 303);
    assert.equal(signedIn.headers.get("location"), "/calls");
    const cookie = signedIn.headers.getSetCookie().find((c) => c.startsWith("gb_session="))!;
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Lax/);
    assert.match(cookie, /; Path=\//);
    assert.doesNotMatch(cookie, /Secure/, "plain http on loopback");
    const session = victim.session!;
    secrets.push(session);
    assert.notEqual(session, planted, "a new session id at sign-in");
    // The planted id is dead for everyone: the victim's browser is the admin's, not mallory's.
    assert.equal((await mallory.fetch("/")).status, 303, "the planted session ended");
    const page = await html(await victim.fetch("/account"));
    assert.match(page.querySelector(".calls-sub").textContent, /root@example\.com · admin/);

    // Signing in again in the same browser replaces the session again.
    await victim.signIn(ADMIN.email, ADMIN.password);
    assert.notEqual(victim.session, session);
    const stale = new Browser(gb.url);
    stale.jar.store(
      new URL(gb.url),
      new Response(null, { headers: { "set-cookie": `gb_session=${session}; Path=/` } }),
    );
    assert.equal((await stale.fetch("/")).status, 303, "the replaced session is dead");
    secrets.push(victim.session!);

    // Only digests are stored.
    const [{ n }] = await sql`
    SELECT count(*)::int AS n FROM sessions WHERE id_hash::text LIKE ${"%" + session + "%"}`;
    assert.equal(n, 0);

    // Sign out: the cookie goes and the session is dead.
    const before = victim.session!;
    const out = await victim.post("/sign-out");
    assert.equal(out.status, 303);
    assert.equal(out.headers.get("location"), "/sign-in");
    assert.equal(victim.session, undefined);
    stale.jar.store(
      new URL(gb.url),
      new Response(null, { headers: { "set-cookie": `gb_session=${before}; Path=/` } }),
    );
    assert.equal((await stale.fetch("/")).status, 303);

    const actions = (await sql`SELECT action, target FROM audit_log ORDER BY id`).map((r) =>
      `${r.action} ${r.target}`
    );
    assert.deepEqual(actions, [
      "admin_bootstrap root@example.com",
      "user_created mallory@example.com",
      "sign_in mallory@example.com",
      "sign_in root@example.com",
      "sign_in root@example.com",
      "sign_out root@example.com",
    ]);
  },
);

accountsTest(
  "wrong password and unknown email: one generic answer; then throttled with Retry-After",
  async (
    { gb, sql, member },
  ) => {
    const ada = await member("ada@example.com");
    const b = new Browser(gb.url);
    const answers = [];
    const firstFailureAt = Date.now(); // the address's bucket starts refilling from here
    for (const [email, password] of [[ada.email, "wrong-password"], ["nobody@example.com", "x"]]) {
      const res = await b.post("/sign-in", { email, password });
      answers.push([res.status, (await html(res)).querySelector(".notice-error").textContent]);
    }
    assert.deepEqual(answers, [[401, FAILED], [401, FAILED]], "the same answer either way");

    // Five failures for one account (from any address), then it is refused before any hashing —
    // even with the right password — and says when to come back.
    for (let i = 0; i < 4; i++) {
      assert.equal(
        (await b.post("/sign-in", { email: ada.email, password: `no-${i}` })).status,
        401,
      );
    }
    const locked = await b.post("/sign-in", { email: ada.email, password: ada.password });
    assert.equal(locked.status, 429);
    const retry = Number(locked.headers.get("retry-after"));
    assert.ok(retry > 0 && retry <= 60, `Retry-After ${retry}`);
    assert.match((await html(locked)).querySelector(".notice-error").textContent, /Too many/);
    assert.equal(b.session, undefined);
    // Another account from the same address still may (its address has attempts left).
    assert.equal((await b.signIn(ADMIN.email, ADMIN.password)).status, 303);

    // One address spraying many accounts runs out too: 20 failures in a burst (6 spent above;
    // the test machine is every client's address), then refused for any account.
    const sprayer = new Browser(gb.url);
    let attempts = 0;
    let status;
    do {
      const res = await sprayer.post("/sign-in", { email: `u${attempts++}@x.io`, password: "p" });
      status = res.status;
      await res.body?.cancel();
    } while (status === 401 && attempts < 30);
    assert.equal(status, 429, "the address's bucket is empty");
    // 14 tokens were left; every IP_POLICY.refillMs since the first failure gave one back (argon2
    // under a loaded machine makes this test take tens of seconds).
    const refilled = Math.ceil((Date.now() - firstFailureAt) / IP_POLICY.refillMs);
    assert.ok(
      attempts >= 14 && attempts <= 16 + refilled,
      `refused after ${attempts} more (${refilled} refilled)`,
    );

    const failed = await sql`
    SELECT target, detail->>'reason' AS reason FROM audit_log
    WHERE action = 'sign_in_failed' ORDER BY id LIMIT 2`;
    assert.deepEqual(failed.map((r) => [r.target, r.reason]), [
      ["ada@example.com", "wrong_password"],
      ["nobody@example.com", "unknown_email"],
    ]);
    // Bad bytes are a 400 with a reason, not a crash.
    for (const password of ["", "a\u0000b", "x".repeat(2000)]) {
      const res = await new Browser(gb.url).post("/sign-in", { email: "e@x.io", password });
      assert.equal(res.status, 400, JSON.stringify(password.slice(0, 5)));
      await res.body?.cancel();
    }
  },
);

accountsTest(
  "sessions end when idle, at their end, when the user is disabled; roles apply at once",
  async (
    { gb, sql, member },
  ) => {
    const ada = await member("ada@example.com");
    const admin = new Browser(gb.url);
    await admin.signIn(ADMIN.email, ADMIN.password);
    const signedIn = async () => {
      const b = new Browser(gb.url);
      assert.equal((await b.signIn(ada.email, ada.password)).status, 303);
      return b;
    };
    const alive = async (b: Browser) => {
      const res = await b.fetch("/account");
      await res.body?.cancel();
      return res.status === 200;
    };

    // Idle longer than GLASSBOX_SESSION_IDLE_HOURS (12): ended.
    const idle = await signedIn();
    await sql`UPDATE sessions SET last_seen_at = now() - interval '13 hours'
            WHERE user_id = ${ada.id}`;
    assert.equal(await alive(idle), false, "idle too long");
    // Past its absolute end (GLASSBOX_SESSION_MAX_DAYS): ended, however active.
    const old = await signedIn();
    await sql`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = ${ada.id}`;
    assert.equal(await alive(old), false, "past its end");

    // A role change applies on the next request: no new sign-in.
    const b = await signedIn();
    assert.equal((await b.fetch("/admin/users")).status, 403);
    const promote = await admin.post(`/admin/users/${ada.id}/role`, { role: "admin" });
    assert.equal(promote.status, 303);
    assert.equal((await b.fetch("/admin/users")).status, 200, "an admin now");
    await admin.post(`/admin/users/${ada.id}/role`, { role: "member" });
    assert.equal((await b.fetch("/admin/users")).status, 403, "a member again");

    // Disabled: every session and key of the user stops at once.
    const key = await ada.bearer(["read"]);
    assert.equal((await fetch(`${gb.url}/api/v1/conversations`, { headers: key })).status, 200);
    assert.equal((await admin.post(`/admin/users/${ada.id}/disable`)).status, 303);
    assert.equal(await alive(b), false, "signed out when disabled");
    const refused = await fetch(`${gb.url}/api/v1/conversations`, { headers: key });
    assert.equal(refused.status, 401);
    assert.equal((await refused.json()).error.code, "unauthorized");
    assert.equal((await new Browser(gb.url).signIn(ada.email, ada.password)).status, 401);
    await admin.post(`/admin/users/${ada.id}/enable`);
    assert.equal(await alive(await signedIn()), true, "enabled again");

    // An admin cannot lock themselves out, nor remove the last admin.
    const me = (await sql`SELECT id FROM users WHERE email = ${ADMIN.email}`)[0].id;
    for (const action of ["disable", "delete"]) {
      const res = await admin.post(`/admin/users/${me}/${action}`);
      assert.equal(res.status, 403, action);
      assert.match((await html(res)).querySelector(".notice-error").textContent, /You cannot/);
    }
  },
);

accountsTest(
  "sign out everywhere, one browser, and a password change",
  async ({ gb, member, secrets }) => {
    const ada = await member("ada@example.com");
    const [laptop, phone, tablet] = [new Browser(gb.url), new Browser(gb.url), new Browser(gb.url)];
    for (const b of [laptop, phone, tablet]) await b.signIn(ada.email, ada.password);
    const alive = async (b: Browser) => (await b.fetch("/account")).status === 200;

    const page = await html(await laptop.fetch("/account"));
    const rows = [...page.querySelectorAll("#sessions tbody tr")];
    assert.equal(rows.length, 3);
    assert.equal(page.querySelectorAll("#sessions tr[aria-current]").length, 1, "this browser");
    // End the tablet's session by its id (never the token: the page does not know it).
    const tabletId = rows.map((r) => r.querySelector("input[name=which]").getAttribute("value"))
      .find((id: string) =>
        id !==
          page.querySelector("#sessions tr[aria-current] input[name=which]").getAttribute("value")
      );
    assert.match(tabletId, /^[0-9a-f]{64}$/);
    assert.ok(!(await laptop.fetch("/account").then((r) => r.text())).includes(laptop.session!));

    assert.equal((await laptop.post("/account/sessions/end", { which: "others" })).status, 303);
    assert.deepEqual([await alive(laptop), await alive(phone), await alive(tablet)], [
      true,
      false,
      false,
    ]);

    // A new password: the other browsers are signed out, this one stays; the old one no longer works.
    await phone.signIn(ada.email, ada.password);
    const next = "another long passphrase";
    secrets.push(next);
    const wrong = await laptop.post("/account/password", { current: "nope", password: next });
    assert.equal(wrong.status, 400);
    await wrong.body?.cancel();
    const changed = await laptop.post("/account/password", {
      current: ada.password,
      password: next,
    });
    assert.equal(changed.status, 303);
    assert.deepEqual([await alive(laptop), await alive(phone)], [true, false]);
    assert.equal((await new Browser(gb.url).signIn(ada.email, ada.password)).status, 401);
    assert.equal((await new Browser(gb.url).signIn(ada.email, next)).status, 303);

    const out = await laptop.post("/account/sessions/end", { which: "all" });
    assert.equal(out.headers.get("location"), "/sign-in");
    assert.equal(await alive(laptop), false);
  },
);

accountsTest("API keys: shown once, stored hashed, scoped, revocable; bad keys are 401s", async (
  { gb, sql, member, secrets },
) => {
  const ada = await member("ada@example.com");
  const b = new Browser(gb.url);
  await b.signIn(ada.email, ada.password);

  const created = await b.post("/keys", { name: "dashboard", scope: ["read"] });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get("cache-control"), "no-store");
  const key = (await html(created)).querySelector("#new-key").textContent;
  secrets.push(key);
  const [, id, secret] = /^gb_live_([0-9A-Za-z]{12})_([0-9A-Za-z]{32})$/.exec(key)!;
  const list = await (await b.fetch("/keys")).text();
  assert.ok(!list.includes(secret), "never shown again");
  assert.ok(list.includes(`gb_live_${id}_…`), "listed by its public id");
  const [row] = await sql`SELECT row_to_json(k)::text AS all FROM api_keys k WHERE id = ${id}`;
  assert.ok(!row.all.includes(secret), "only a digest is stored");

  const read = { authorization: `Bearer ${key}` };
  const ok = await fetch(`${gb.url}/api/v1/conversations`, { headers: read });
  assert.equal(ok.status, 200);
  const [{ last_used_at }] = await sql`SELECT last_used_at FROM api_keys WHERE id = ${id}`;
  assert.ok(last_used_at instanceof Date, "last use recorded");

  // A read key cannot start or stop runs, by any door.
  const chat = await postJson(`${gb.url}/api/v1/chat`, { message: "hi" }, read);
  assert.equal(chat.status, 403);
  assert.equal((await chat.json()).error.code, "insufficient_scope");
  const agui = await postJson(`${gb.url}/api/v1/agui`, {}, read);
  assert.equal(agui.status, 403);
  await agui.body?.cancel();
  const socket = await connectWs(gb.url, read);
  socket.send({ type: "chat", message: "hi" });
  assert.equal((await socket.next((m) => m.type === "error")).code, "insufficient_scope");
  await socket.close();

  // A chat-only key cannot read.
  const chatOnly = await ada.bearer(["chat"]);
  const started = await postJson(`${gb.url}/api/v1/chat`, { message: "What is 2 + 2?" }, chatOnly);
  assert.equal(started.status, 200);
  const { run_id } = await started.json();
  const noRead = await fetch(`${gb.url}/api/v1/runs/${run_id}`, { headers: chatOnly });
  assert.equal(noRead.status, 403);
  await noRead.body?.cancel();

  // A member cannot give a key more than a member has.
  const tooMuch = await b.post("/keys", { name: "x", scope: ["admin"] });
  assert.equal(tooMuch.status, 403);
  await tooMuch.body?.cancel();

  // Wrong, malformed and revoked keys, and keys on pages: 401 in the error shape.
  const revoke = await b.post(`/keys/${id}/revoke`);
  assert.equal(revoke.status, 303);
  const bad = [
    `Bearer ${key}`,
    `Bearer gb_live_${id}_${"x".repeat(32)}`,
    "Bearer gb_live_nope",
    "Bearer ",
  ];
  for (const authorization of bad) {
    const res = await fetch(`${gb.url}/api/v1/conversations`, { headers: { authorization } });
    assert.equal(res.status, 401, authorization);
    assert.deepEqual(Object.keys((await res.json()).error), ["code", "message", "request_id"]);
    assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
  }
  const onPage = await fetch(`${gb.url}/`, { headers: await ada.bearer(["read"]) });
  assert.equal(onPage.status, 401, "keys are for /api/v1");
  await onPage.body?.cancel();
  // A key of the local user (made in the quick start) does not outlive it: sign-in is on now.
  const localKey = await gb.glassbox.deps.auth.keys.create(
    { userId: LOCAL_USER_ID, role: "admin" },
    "from before",
    ["read", "admin"],
  );
  const asLocal = await fetch(`${gb.url}/api/v1/conversations`, {
    headers: { authorization: `Bearer ${localKey.key}` },
  });
  assert.equal(asLocal.status, 401);
  await asLocal.body?.cancel();
  const audit = await sql`SELECT action, detail->>'keyId' AS key FROM audit_log
    WHERE action LIKE 'key_%' ORDER BY id`;
  assert.deepEqual(audit.map((r) => [r.action, r.key]), [["key_created", id], ["key_revoked", id]]);
});

accountsTest(
  "runs per user: at most GLASSBOX_USER_MAX_RUNS at once and so many a minute; 429 with Retry-After",
  async ({ gb, member }) => {
    const [ada, bob] = [await member("ada@example.com"), await member("bob@example.com")];
    const [adaKey, bobKey] = [await ada.bearer(), await bob.bearer()];
    const runs = gb.glassbox.deps.runs;
    const streams: Response[] = [];
    /** Starts a streamed run; its stream is read to its end at the test's end. */
    const stream = async (headers: Record<string, string>) => {
      const res = await postJson(
        `${gb.url}/api/v1/chat/stream`,
        { message: "What is 17 * 23?" },
        headers,
      );
      streams.push(res);
      return res;
    };
    // Two going at once is ada's limit; the third is refused while they run.
    const going = [await stream(adaKey), await stream(adaKey)];
    assert.deepEqual(going.map((r) => r.status), [200, 200]);
    const third = await postJson(`${gb.url}/api/v1/chat`, { message: "hi" }, adaKey);
    assert.equal(third.status, 429);
    assert.equal(third.headers.get("retry-after"), "2");
    assert.equal((await third.json()).error.code, "rate_limited");
    const other = await stream(bobKey);
    assert.equal(other.status, 200, "another user is not limited by ada's runs");
    await Promise.all(going.map((r) => runs.whenDone(r.headers.get("x-run-id")!)));

    // Three a minute: a third start is allowed once the first two ended, a fourth is not.
    assert.equal((await stream(adaKey)).status, 200);
    const fourth = await postJson(`${gb.url}/api/v1/chat`, { message: "hi" }, adaKey);
    assert.equal(fourth.status, 429);
    const retry = Number(fourth.headers.get("retry-after"));
    assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
    assert.match((await fourth.json()).error.message, /at most 3 runs a minute/);
    // The browser form says the same, as an error fragment.
    const b = new Browser(gb.url);
    await b.signIn(ada.email, ada.password);
    const page = await b.post("/chat", { message: "hi" });
    assert.match(await page.text(), /at most 3 runs a minute/);
    for (const res of streams) await res.text();
  },
  { GLASSBOX_USER_MAX_RUNS: "2", GLASSBOX_USER_RUNS_PER_MINUTE: "3", GLASSBOX_DEMO_DELAY_MS: "20" },
);

Deno.test({
  name: "accounts: the first admin comes from the environment once, never resets",
  ignore,
}, async () => {
  const db = await freshPostgres();
  try {
    const on = { DATABASE_URL: db.url, GLASSBOX_AUTH: "on" };
    // Sign-in on, nobody to sign in: refused at start, saying what to set.
    await assert.rejects(startGlassbox(on), /no admin yet: set GLASSBOX_ADMIN_EMAIL/);
    const first = await startGlassbox({ ...on, ...adminEnv(ADMIN.password) });
    await first.close();
    // Later starts with other values change nothing: the first admin's password stands.
    const again = await startGlassbox({ ...on, ...adminEnv("a different password") });
    try {
      assert.equal((await new Browser(again.url).signIn(ADMIN.email, ADMIN.password)).status, 303);
      assert.equal(
        (await new Browser(again.url).signIn(ADMIN.email, "a different password")).status,
        401,
      );
      const [{ n }] = await db
        .sql`SELECT count(*)::int AS n FROM audit_log WHERE action = 'admin_bootstrap'`;
      assert.equal(n, 1);
    } finally {
      await again.close();
    }
  } finally {
    await db.close();
  }
});

function adminEnv(password: string) {
  return { GLASSBOX_ADMIN_EMAIL: ADMIN.email, GLASSBOX_ADMIN_PASSWORD: password };
}

accountsTest("no page, error or audit entry shows a password, a session id or a key", async (
  { gb, sql, member, secrets },
) => {
  const ada = await member("ada@example.com");
  const admin = new Browser(gb.url);
  await admin.signIn(ADMIN.email, ADMIN.password);
  const adas = new Browser(gb.url);
  await adas.signIn(ada.email, ada.password);
  secrets.push(admin.session!, adas.session!);
  const typo = "my real password, typed wrong";
  secrets.push(typo);
  const failed = await new Browser(gb.url).post("/sign-in", { email: ada.email, password: typo });
  const key = (await html(await adas.post("/keys", { name: "k", scope: ["read"] })))
    .querySelector("#new-key").textContent;
  secrets.push(key.split("_").at(-1)!); // the secret half (the id is public)
  await admin.post(`/admin/users/${ada.id}/password`, { password: "reset by the admin now" });
  secrets.push("reset by the admin now");

  const pages = [await failed.text()];
  for (const path of PAGES) {
    const res = await admin.fetch(path);
    assert.equal(res.status, 200, path);
    pages.push(await res.text());
  }
  pages.push(await (await fetch(`${gb.url}/health`)).text());
  const bad = await fetch(`${gb.url}/api/v1/conversations`, {
    headers: { authorization: `Bearer ${key}x` },
  });
  pages.push(await bad.text());
  const stored = await sql`SELECT row_to_json(a)::text AS row FROM audit_log a`;
  pages.push(...stored.map((r) => r.row));
  const shown = secrets.filter((s) => pages.some((p) => p.includes(s)));
  assert.deepEqual(shown, [], "no secret on a page, in an error or in the audit log");
});
