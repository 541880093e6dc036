/**
 * Section 5: what accounts cost. A Glassbox with sign-in on (fresh local Postgres, real HTTP on
 * loopback): POST /sign-in one at a time (argon2id m=19 MiB t=2 p=1 in the worker, the session
 * row, the audit entry) and many at once — with the main event loop's worst timer lag meanwhile,
 * which shows the hashing stays off it — then the per-request cost of being signed in: one API
 * call with a session cookie, with an API key, and as the local user (no lookup).
 */
import { createGlassbox } from "../app.ts";
import { loadConfig } from "../config.ts";
import { type Cleanup, freshPostgres, num, summarize, table } from "./support.ts";

const ADMIN = { email: "bench@example.com", password: "a benchmark passphrase" };

export async function signIn(
  cleanup: Cleanup,
  o: { sequential: number; concurrent: number; requests: number },
): Promise<string> {
  const serve = async (env: Record<string, string>) => {
    const db = await freshPostgres(cleanup);
    const gb = await createGlassbox(
      loadConfig({ DATABASE_URL: db.url, PORT: "0", ...env }),
      { writeLog: () => {} },
    );
    cleanup.add("close glassbox", async () => void await gb.close());
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, gb.app.fetch);
    cleanup.add("stop server", () => server.shutdown());
    return { gb, url: `http://127.0.0.1:${server.addr.port}` };
  };
  const { gb, url } = await serve({
    GLASSBOX_ADMIN_EMAIL: ADMIN.email,
    GLASSBOX_ADMIN_PASSWORD: ADMIN.password,
  });
  const post = () =>
    fetch(`${url}/sign-in`, {
      method: "POST",
      redirect: "manual",
      headers: { origin: url, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(ADMIN),
    });
  const timed = async () => {
    const t0 = performance.now();
    const res = await post();
    await res.body?.cancel();
    if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
    return { ms: performance.now() - t0, cookie: res.headers.get("set-cookie")!.split(";")[0] };
  };
  await timed(); // the worker's first job compiles the WASM

  const one = [];
  for (let i = 0; i < o.sequential; i++) one.push((await timed()).ms);

  // Many at once, while a 5 ms timer measures how late the main loop gets to it.
  let worstLag = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    worstLag = Math.max(worstLag, now - last - 5);
    last = now;
  }, 5);
  const many = await Promise.all(Array.from({ length: o.concurrent }, timed));
  clearInterval(ticker);

  const { cookie } = await timed();
  const { userId } = (await gb.deps.auth.sessions.viewer(cookie.split("=")[1]))!;
  const key = (await gb.deps.auth.keys.create({ userId, role: "admin" }, "bench", ["read"])).key;
  const local = await serve({});
  const rows: string[][] = [
    stats(`POST /sign-in, one at a time (n=${o.sequential})`, one),
    stats(`POST /sign-in, ${o.concurrent} at once`, many.map((m) => m.ms)),
  ];
  // One endpoint three ways: only who-is-asking differs.
  const requests: [string, string, Record<string, string>][] = [
    ["GET /api/v1/conversations, session cookie", `${url}/api/v1/conversations`, { cookie }],
    ["GET /api/v1/conversations, API key", `${url}/api/v1/conversations`, {
      authorization: `Bearer ${key}`,
    }],
    ["GET /api/v1/conversations, local user (no lookup)", `${local.url}/api/v1/conversations`, {}],
  ];
  for (const [label, target, headers] of requests) {
    const times = [];
    for (let i = 0; i < o.requests; i++) {
      const t0 = performance.now();
      const res = await fetch(target, { headers });
      await res.body?.cancel();
      if (res.status !== 200) throw new Error(`${label}: ${res.status}`);
      times.push(performance.now() - t0);
    }
    rows.push(stats(`${label} (n=${o.requests})`, times));
  }
  return [
    table(["request", "p50 ms", "p99 ms", "max ms"], rows),
    "",
    `Main event loop during the ${o.concurrent} concurrent sign-ins: worst timer lag ` +
    `${num(worstLag, 1)} ms (argon2id runs in one worker; the pool queues at most 16 and ` +
    `answers 503 beyond that).`,
  ].join("\n");
}

function stats(label: string, ms: number[]): string[] {
  const s = summarize(ms);
  return [label, num(s.p50, 1), num(s.p99, 1), num(s.max, 1)];
}
