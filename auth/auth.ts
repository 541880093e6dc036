/**
 * Accounts and access, put together once (app.ts): the password-hash pool, sessions, API keys,
 * password and single sign-on, user administration, and the first admin. Routes reach it as
 * `deps.auth`; routes/access.ts turns each request into a Viewer with it.
 */
import { ConfigError } from "../config.ts";
import type { AuthConfig, AuthMode } from "../config/auth.ts";
import type { Sql } from "../db/client.ts";
import {
  countActiveAdmins,
  insertUser,
  LOCAL_USER_ID,
  setDisabled,
  setRole,
  userByEmail,
} from "../db/users.ts";
import { ApiKeys } from "./api_keys.ts";
import { audit } from "./audit.ts";
import { Oidc } from "./oidc.ts";
import { PasswordPool } from "./password_pool.ts";
import { Sessions } from "./sessions.ts";
import { PasswordSignIn } from "./sign_in.ts";
import { SignInThrottle } from "./throttle.ts";
import { newPasswordError, UserAdmin } from "./users.ts";
import { roleScopes, type Viewer } from "./viewer.ts";

export interface Auth {
  mode: AuthMode;
  /** Who every request is when nobody signs in (modes local and off). */
  local: Viewer;
  sessions: Sessions;
  keys: ApiKeys;
  signIn: PasswordSignIn;
  users: UserAdmin;
  /** null when single sign-on is not configured. */
  oidc: Oidc | null;
  /** argon2id in the worker pool. */
  hashPassword(password: string): Promise<string>;
  /** Stops the hash workers and the session purge. */
  close(): void;
}

const PURGE_EVERY_MS = 60 * 60_000;

export const LOCAL_VIEWER: Viewer = Object.freeze({
  userId: LOCAL_USER_ID,
  email: null,
  name: "Local user",
  role: "admin",
  scopes: new Set(roleScopes("admin")),
  via: "local",
});

export function createAuth(
  sql: Sql,
  config: AuthConfig,
  opts: { hasActiveRuns(userId: string): boolean; onPurgeError(err: unknown): void },
): Auth {
  const pool = new PasswordPool({ workers: config.hashWorkers, maxQueue: 16 });
  const sessions = new Sessions(sql, {
    idleMs: config.sessionIdleHours * 3_600_000,
    maxAgeMs: config.sessionMaxDays * 86_400_000,
  });
  const purge = setInterval(() => sessions.purge().catch(opts.onPurgeError), PURGE_EVERY_MS);
  Deno.unrefTimer(purge);
  return {
    mode: config.mode,
    local: LOCAL_VIEWER,
    sessions,
    keys: new ApiKeys(sql, { refuseLocalUser: config.mode === "on" }),
    signIn: new PasswordSignIn({ sql, pool, throttle: new SignInThrottle(), sessions }),
    users: new UserAdmin({ sql, pool, sessions, hasActiveRuns: opts.hasActiveRuns }),
    oidc: config.oidc ? new Oidc(config.oidc, { sql, sessions }) : null,
    hashPassword: (password) => pool.hash(password),
    close: () => {
      clearInterval(purge);
      pool.close();
    },
  };
}

/**
 * With sign-in on and no admin yet: creates GLASSBOX_ADMIN_EMAIL as the first admin (or makes
 * that existing user one), with the password from the environment or its file. The variables
 * never reset anything once an admin exists. Without them, only single sign-on with an admin
 * claim can make an admin, so anything else is a start-up error (ConfigError: exit code 2).
 * Returns what happened, for the start-up log.
 */
export async function ensureFirstAdmin(
  sql: Sql,
  auth: Auth,
  config: AuthConfig,
): Promise<"not_needed" | "exists" | "created" | "promoted" | "by_sso"> {
  if (config.mode !== "on") return "not_needed";
  if ((await countActiveAdmins(sql)) > 0) return "exists";
  if (!config.adminEmail) {
    if (config.oidc?.adminClaim) return "by_sso";
    throw new ConfigError([
      "GLASSBOX_AUTH=on but there is no admin yet: set GLASSBOX_ADMIN_EMAIL and " +
      "GLASSBOX_ADMIN_PASSWORD, run `glassbox admin create --email …`, or configure " +
      "GLASSBOX_OIDC_ADMIN_CLAIM/GLASSBOX_OIDC_ADMIN_VALUE",
    ]);
  }
  const actor = { userId: null, email: null, ip: "" };
  const existing = await userByEmail(sql, config.adminEmail);
  if (existing) {
    await setRole(sql, existing.id, "admin");
    await setDisabled(sql, existing.id, false);
    await audit(sql, actor, "admin_bootstrap", existing.email, { promoted: true });
    return "promoted";
  }
  const password = config.adminPassword ?? await readPasswordFile(config.adminPasswordFile!);
  const problem = newPasswordError(password);
  if (problem) throw new ConfigError([`the first admin's password: ${problem}`]);
  await insertUser(sql, {
    id: crypto.randomUUID(),
    email: config.adminEmail,
    role: "admin",
    passwordHash: await auth.hashPassword(password),
  });
  await audit(sql, actor, "admin_bootstrap", config.adminEmail);
  return "created";
}

async function readPasswordFile(path: string): Promise<string> {
  try {
    return (await Deno.readTextFile(path)).replace(/\r?\n$/, "");
  } catch (err) {
    throw new ConfigError([`GLASSBOX_ADMIN_PASSWORD_FILE ${path}: ${(err as Error).message}`]);
  }
}
