/**
 * Users for tests. `insertUser` writes a row straight into the database (no password: for tests
 * of the data layer). `accountsOf` makes real accounts through the running Glassbox's own auth
 * (users with passwords, API keys with scopes) and signs in over HTTP, so tests act as real users.
 */
import type { Sql } from "../../db/client.ts";
import type { Role } from "../../db/users.ts";
import type { Scope } from "../../db/api_keys.ts";
import type { TestServer } from "./server.ts";
import { CookieJar } from "./cookie_jar.ts";

/** The app's pages a signed-in admin can open (GET, no parameters). */
export const PAGES = [
  "/",
  "/calls",
  "/usage",
  "/agents",
  "/logs",
  "/keys",
  "/account",
  "/admin/users",
  "/admin/sign-ins",
  "/admin/audit",
  "/admin/alerts",
  "/sessions",
] as const;

export async function insertUser(sql: Sql, email: string, role: Role = "member"): Promise<string> {
  const id = crypto.randomUUID();
  await sql`INSERT INTO users (id, email, role) VALUES (${id}, ${email}, ${role})`;
  return id;
}

export interface TestAccount {
  id: string;
  email: string;
  password: string;
  role: Role;
  /** `Authorization: Bearer …` headers of a key with these scopes (default read + chat). */
  bearer(scopes?: Scope[]): Promise<Record<string, string>>;
}

/** Real users of a running Glassbox, created as an admin would (hashed password included). */
export function accountsOf(gb: TestServer) {
  const auth = gb.glassbox.deps.auth;
  const actor = { userId: null, email: "test", ip: "" };
  return {
    async create(email: string, role: Role = "member"): Promise<TestAccount> {
      const password = `pw-${crypto.randomUUID()}`;
      const user = await auth.users.create(actor, { email, role, password });
      return {
        id: user.id,
        email: user.email!,
        password,
        role,
        bearer: async (scopes: Scope[] = ["read", "chat"]) => {
          const { key } = await auth.keys.create({ userId: user.id, role }, "test", scopes);
          return { authorization: `Bearer ${key}` };
        },
      };
    },
  };
}

/** A browser-like client of one Glassbox: its cookies, and form posts from its own pages. */
export class Browser {
  readonly jar = new CookieJar();
  constructor(readonly baseUrl: string) {}

  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return this.jar.fetch(new URL(path, this.baseUrl), init);
  }

  /** A form post from one of the site's own pages (the Origin a browser sends). */
  post(path: string, fields: Record<string, string | string[]> = {}): Promise<Response> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) {
      for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    }
    return this.fetch(path, { method: "POST", headers: { origin: this.baseUrl }, body });
  }

  get session(): string | undefined {
    return this.jar.get(this.baseUrl, "gb_session");
  }

  /** Signs in with email and password; the response (a 303 on success). */
  async signIn(email: string, password: string, next = "/"): Promise<Response> {
    const res = await this.post("/sign-in", { email, password, next });
    await res.body?.cancel();
    return res;
  }
}
