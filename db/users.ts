/** Users: who may sign in (password and/or OpenID Connect identity), with what role. */
import type { Sql } from "./client.ts";

export type Role = "admin" | "member";
export const ROLES: readonly Role[] = ["admin", "member"];

/** The user everything is done as when nobody signs in (created by the accounts migration). */
export const LOCAL_USER_ID = "00000000-0000-0000-0000-000000000001";

export interface UserRow {
  id: string;
  email: string | null;
  name: string;
  role: Role;
  /** argon2id PHC string; null: no password sign-in. */
  passwordHash: string | null;
  oidcIssuer: string | null;
  oidcSubject: string | null;
  disabledAt: Date | null;
  createdAt: Date;
}

/** A list entry, with what the users page shows about each one. */
export interface UserSummary extends Omit<UserRow, "passwordHash"> {
  hasPassword: boolean;
  activeSessions: number;
  activeKeys: number;
}

const COLUMNS = (sql: Sql) =>
  sql`u.id, u.email, u.name, u.role, u.password_hash AS "passwordHash",
      u.oidc_issuer AS "oidcIssuer", u.oidc_subject AS "oidcSubject",
      u.disabled_at AS "disabledAt", u.created_at AS "createdAt"`;

export async function insertUser(
  sql: Sql,
  u: {
    id: string;
    email: string;
    name?: string;
    role: Role;
    passwordHash: string | null;
    oidc?: { issuer: string; subject: string };
  },
): Promise<void> {
  await sql`
    INSERT INTO users (id, email, name, role, password_hash, oidc_issuer, oidc_subject)
    VALUES (${u.id}, ${u.email}, ${u.name ?? ""}, ${u.role}, ${u.passwordHash},
      ${u.oidc?.issuer ?? null}, ${u.oidc?.subject ?? null})`;
}

export async function getUser(sql: Sql, id: string): Promise<UserRow | null> {
  const [row] = await sql<UserRow[]>`SELECT ${COLUMNS(sql)} FROM users u WHERE u.id = ${id}`;
  return row ?? null;
}

export async function userByEmail(sql: Sql, email: string): Promise<UserRow | null> {
  const [row] = await sql<UserRow[]>`
    SELECT ${COLUMNS(sql)} FROM users u WHERE u.email = ${email.toLowerCase()}`;
  return row ?? null;
}

export async function userByOidc(
  sql: Sql,
  issuer: string,
  subject: string,
): Promise<UserRow | null> {
  const [row] = await sql<UserRow[]>`
    SELECT ${COLUMNS(sql)} FROM users u
    WHERE u.oidc_issuer = ${issuer} AND u.oidc_subject = ${subject}`;
  return row ?? null;
}

export async function listUsers(sql: Sql): Promise<UserSummary[]> {
  const rows = await sql`
    SELECT ${COLUMNS(sql)},
      (SELECT count(*)::int FROM sessions s WHERE s.user_id = u.id AND s.expires_at > now())
        AS "activeSessions",
      (SELECT count(*)::int FROM api_keys k WHERE k.user_id = u.id AND k.revoked_at IS NULL)
        AS "activeKeys"
    FROM users u ORDER BY u.id = ${LOCAL_USER_ID}, u.created_at, u.email`;
  return rows.map(({ passwordHash, ...r }) =>
    ({
      ...r,
      hasPassword: passwordHash !== null,
    }) as UserSummary
  );
}

export async function countActiveAdmins(sql: Sql): Promise<number> {
  const [row] = await sql`
    SELECT count(*)::int AS n FROM users
    WHERE role = 'admin' AND disabled_at IS NULL AND id <> ${LOCAL_USER_ID}`;
  return row.n;
}

export async function setRole(sql: Sql, id: string, role: Role): Promise<boolean> {
  return (await sql`UPDATE users SET role = ${role} WHERE id = ${id} RETURNING id`).length > 0;
}

export async function setDisabled(sql: Sql, id: string, disabled: boolean): Promise<boolean> {
  const rows = await sql`
    UPDATE users SET disabled_at = ${disabled ? sql`now()` : null} WHERE id = ${id} RETURNING id`;
  return rows.length > 0;
}

export async function setPasswordHash(sql: Sql, id: string, hash: string | null): Promise<void> {
  await sql`UPDATE users SET password_hash = ${hash} WHERE id = ${id}`;
}

export async function linkOidc(
  sql: Sql,
  id: string,
  identity: { issuer: string; subject: string },
): Promise<void> {
  await sql`
    UPDATE users SET oidc_issuer = ${identity.issuer}, oidc_subject = ${identity.subject}
    WHERE id = ${id}`;
}

/**
 * Deletes a user and everything they own, children first: events and messages of their runs and
 * conversations, their LLM calls, runs, conversations; sessions and keys go by cascade.
 */
export async function deleteUserAndData(sql: Sql, id: string): Promise<boolean> {
  return await sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    await tx`DELETE FROM events WHERE run_id IN (SELECT id FROM runs WHERE user_id = ${id})`;
    await tx`
      DELETE FROM messages
      WHERE conversation_id IN (SELECT id FROM conversations WHERE user_id = ${id})`;
    await tx`DELETE FROM llm_calls WHERE user_id = ${id}`;
    await tx`DELETE FROM runs WHERE user_id = ${id}`;
    await tx`DELETE FROM conversations WHERE user_id = ${id}`;
    return (await tx`DELETE FROM users WHERE id = ${id} RETURNING id`).length > 0;
  });
}

/** Users' emails and names by id. */
export async function userLabels(
  sql: Sql,
  ids: string[],
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<{ id: string; email: string | null; name: string }[]>`
    SELECT id, email, name FROM users WHERE id IN ${sql(ids)}`;
  return new Map(rows.map((r) => [r.id, r.email ?? r.name]));
}
