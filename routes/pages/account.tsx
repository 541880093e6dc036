/**
 * The signed-in user's own pages: /account (password, where they are signed in, sign out
 * everywhere) and /keys (API keys: a member's own, an admin's view of everyone's; create, shown
 * once; revoke). Pages only: API keys are not accepted here.
 */
import { clip } from "../../agents/spine/text.ts";
import { type Context, Hono } from "hono";
import { type Actor, audit } from "../../auth/audit.ts";
import { AccountError } from "../../auth/errors.ts";
import { isAdmin, roleScopes, type Scope, type Viewer } from "../../auth/viewer.ts";
import { SCOPES } from "../../db/api_keys.ts";
import { getUser } from "../../db/users.ts";
import { AccountPage } from "../../views/accounts/account.tsx";
import { KeysPage } from "../../views/accounts/keys.tsx";
import { clearSessionCookie, sessionToken, viewerOf } from "../access.ts";
import type { AppDeps } from "../deps.ts";
import { clientIp } from "../security.ts";
import { pageChrome } from "./chrome.ts";
import { attempt, formOf, formValues } from "./forms.ts";

/** What a redirect after a form says (?done=…): fixed texts, never user input. */
const DONE: Record<string, string> = {
  password: "Your password was changed; your other browsers are signed out.",
  others: "Signed out everywhere else.",
  session: "That browser is signed out.",
  revoked: "The key was revoked.",
};

export function actorOf(c: Context, deps: AppDeps): Actor & { userId: string } {
  const v = viewerOf(c);
  return { userId: v.userId, email: v.email, ip: clientIp(c, deps.edge) };
}

export function accountPages(deps: AppDeps): Hono {
  const app = new Hono();
  const { auth, edge, db: { sql } } = deps;

  const account = async (c: Context, status: 200 | 400 | 403 | 404 | 409, error?: string) => {
    const v = viewerOf(c);
    const user = await getUser(sql, v.userId);
    const current = await auth.sessions.idOf(sessionToken(c, edge));
    return c.html(
      AccountPage({
        ...pageChrome(deps, c),
        user: {
          email: v.email,
          name: v.name,
          role: v.role,
          hasPassword: Boolean(user?.passwordHash),
          sso: Boolean(user?.oidcSubject),
        },
        sessions: v.via === "session" ? await auth.sessions.list(v.userId) : null,
        currentSessionId: v.via === "session" ? current : null,
        ok: DONE[c.req.query("done") ?? ""] ?? null,
        error,
      }),
      status,
    );
  };

  app.get("/account", (c) => account(c, 200));

  app.post("/account/password", async (c) => {
    const form = await formOf(c);
    return await attempt(async () => {
      await auth.users.changeOwnPassword(
        actorOf(c, deps),
        form.current ?? "",
        form.password ?? "",
        sessionToken(c, edge),
      );
      return c.redirect("/account?done=password", 303);
    }, (status, message) => account(c, status, message));
  });

  app.post("/account/sessions/end", async (c) => {
    const v = viewerOf(c);
    const which = (await formOf(c)).which ?? "";
    const token = sessionToken(c, edge);
    if (which === "all" || which === "others") {
      const n = await auth.sessions.endAllOf(v.userId, which === "others" ? token : undefined);
      await audit(sql, actorOf(c, deps), "sessions_ended", v.email, { which, ended: n });
      if (which === "all") {
        clearSessionCookie(c, edge);
        return c.redirect("/sign-in", 303);
      }
      return c.redirect("/account?done=others", 303);
    }
    if (!(await auth.sessions.endById(which, v.userId))) {
      return account(c, 404, "No such session.");
    }
    await audit(sql, actorOf(c, deps), "sessions_ended", v.email, { which: "one", ended: 1 });
    return c.redirect("/account?done=session", 303);
  });

  const keys = async (
    c: Context,
    status: 200 | 201 | 400 | 403 | 404 | 409,
    extra: { error?: string; created?: { key: string; name: string } } = {},
  ) => {
    const v = viewerOf(c);
    // A new key is on this page only: never cached, never in a URL.
    c.header("Cache-Control", "no-store");
    return c.html(
      KeysPage({
        ...pageChrome(deps, c),
        keys: await auth.keys.list(isAdmin(v) ? undefined : v.userId),
        everyone: isAdmin(v),
        scopes: roleScopes(v.role),
        ok: DONE[c.req.query("done") ?? ""] ?? null,
        ...extra,
      }),
      status,
    );
  };

  app.get("/keys", (c) => keys(c, 200));

  app.post("/keys", async (c) => {
    const v = viewerOf(c);
    const name = (await formOf(c)).name ?? "";
    const wanted = await formValues(c, "scope");
    return await attempt(async () => {
      const scopes = parseScopes(wanted);
      const { key, id } = await auth.keys.create(v, name, scopes);
      await audit(sql, actorOf(c, deps), "key_created", v.email, { keyId: id, scopes });
      return keys(c, 201, { created: { key, name: name.trim() } });
    }, (status, error) => keys(c, status, { error }));
  });

  app.post("/keys/:id/revoke", async (c) => {
    const v = viewerOf(c);
    const id = c.req.param("id");
    const revoked = await auth.keys.revoke(id, isAdmin(v) ? undefined : v.userId);
    if (!revoked) return keys(c, 404, { error: "No such active key." });
    await audit(sql, actorOf(c, deps), "key_revoked", await ownerLabel(deps, revoked.userId, v), {
      keyId: id,
      name: revoked.name,
    });
    return c.redirect("/keys?done=revoked", 303);
  });

  return app;
}

function parseScopes(raw: string[]): Scope[] {
  const unknown = raw.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length) throw new AccountError(400, `Unknown scope ${clip(unknown[0], 40)}.`);
  return raw as Scope[];
}

/** Whose key it was, for the audit entry. */
async function ownerLabel(deps: AppDeps, userId: string, viewer: Viewer): Promise<string | null> {
  if (userId === viewer.userId) return viewer.email;
  const owner = await getUser(deps.db.sql, userId);
  return owner?.email ?? null;
}
