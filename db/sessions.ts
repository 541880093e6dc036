/** Sign-in sessions, keyed by the SHA-256 of the cookie's token (the token itself is never stored). */
import type { Sql } from "./client.ts";
import type { Role } from "./users.ts";

export interface SessionUser {
  userId: string;
  email: string | null;
  name: string;
  role: Role;
  lastSeenAt: Date;
  expiresAt: Date;
}

export interface SessionRow {
  /** Hex of the digest: what the pages use to name one session (never the token). */
  id: string;
  userId: string;
  email: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string;
  userAgent: string;
}

export async function insertSession(
  sql: Sql,
  s: { digest: Uint8Array; userId: string; expiresAt: Date; ip: string; userAgent: string },
): Promise<void> {
  await sql`
    INSERT INTO sessions (id_hash, user_id, expires_at, ip, user_agent)
    VALUES (${s.digest}, ${s.userId}, ${s.expiresAt}, ${s.ip}, ${s.userAgent})`;
}

/**
 * The session's user, in one query with the user so that a disabled or deleted user, or a role
 * change, takes effect on the next request. Null when unknown, expired, idle too long or disabled.
 */
export async function sessionUser(
  sql: Sql,
  digest: Uint8Array,
  idleMs: number,
): Promise<SessionUser | null> {
  const [row] = await sql<SessionUser[]>`
    SELECT u.id AS "userId", u.email, u.name, u.role,
      s.last_seen_at AS "lastSeenAt", s.expires_at AS "expiresAt"
    FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.id_hash = ${digest} AND s.expires_at > now()
      AND s.last_seen_at > now() - ${idleMs} * interval '1 millisecond'
      AND u.disabled_at IS NULL`;
  return row ?? null;
}

export async function touchSession(sql: Sql, digest: Uint8Array): Promise<void> {
  await sql`UPDATE sessions SET last_seen_at = now() WHERE id_hash = ${digest}`;
}

export async function deleteSession(sql: Sql, digest: Uint8Array): Promise<void> {
  await sql`DELETE FROM sessions WHERE id_hash = ${digest}`;
}

/** One session by its hex id, only if it is `userId`'s (when given); true when one went. */
export async function deleteSessionById(
  sql: Sql,
  id: string,
  userId?: string,
): Promise<boolean> {
  if (!/^[0-9a-f]{64}$/.test(id)) return false;
  const rows = await sql`
    DELETE FROM sessions WHERE id_hash = decode(${id}, 'hex')
      ${userId === undefined ? sql`` : sql`AND user_id = ${userId}`}
    RETURNING 1`;
  return rows.length > 0;
}

/** Every session of a user ("sign out everywhere"), or all but one; how many went. */
export async function deleteUserSessions(
  sql: Sql,
  userId: string,
  except?: Uint8Array,
): Promise<number> {
  const rows = await sql`
    DELETE FROM sessions WHERE user_id = ${userId}
      ${except ? sql`AND id_hash <> ${except}` : sql``}
    RETURNING 1`;
  return rows.length;
}

/** Active sessions, newest first: one user's, or everyone's. */
export async function listSessions(
  sql: Sql,
  opts: { userId?: string; idleMs: number },
): Promise<SessionRow[]> {
  return await sql<SessionRow[]>`
    SELECT encode(s.id_hash, 'hex') AS id, s.user_id AS "userId", u.email,
      s.created_at AS "createdAt", s.last_seen_at AS "lastSeenAt",
      s.expires_at AS "expiresAt", s.ip, s.user_agent AS "userAgent"
    FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.expires_at > now()
      AND s.last_seen_at > now() - ${opts.idleMs} * interval '1 millisecond'
      ${opts.userId === undefined ? sql`` : sql`AND s.user_id = ${opts.userId}`}
    ORDER BY s.last_seen_at DESC
    LIMIT 500`;
}

export async function purgeExpiredSessions(sql: Sql, idleMs: number): Promise<number> {
  const rows = await sql`
    DELETE FROM sessions
    WHERE expires_at <= now() OR last_seen_at <= now() - ${idleMs} * interval '1 millisecond'
    RETURNING 1`;
  return rows.length;
}
