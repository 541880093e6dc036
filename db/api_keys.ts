/** API keys: a public id, the SHA-256 of the secret half, scopes, last use, revocation. */
import type { Sql } from "./client.ts";
import type { Role } from "./users.ts";

export const SCOPES = ["chat", "read", "admin", "gateway"] as const;
export type Scope = typeof SCOPES[number];

export interface ApiKeyRow {
  id: string;
  userId: string;
  /** The owner's email (null for the local user). */
  email: string | null;
  name: string;
  scopes: Scope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** What authenticating a key needs: its digest and its owner as they are now. */
export interface KeyCredential {
  secretHash: Uint8Array;
  scopes: Scope[];
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  userId: string;
  email: string | null;
  name: string;
  role: Role;
  disabledAt: Date | null;
}

export async function insertApiKey(
  sql: Sql,
  k: { id: string; userId: string; name: string; digest: Uint8Array; scopes: Scope[] },
): Promise<void> {
  await sql`
    INSERT INTO api_keys (id, user_id, name, secret_hash, scopes)
    VALUES (${k.id}, ${k.userId}, ${k.name}, ${k.digest}, ${sql.array(k.scopes)})`;
}

export async function keyCredential(sql: Sql, id: string): Promise<KeyCredential | null> {
  const [row] = await sql<KeyCredential[]>`
    SELECT k.secret_hash AS "secretHash", k.scopes, k.revoked_at AS "revokedAt",
      k.last_used_at AS "lastUsedAt", u.id AS "userId", u.email, u.name, u.role,
      u.disabled_at AS "disabledAt"
    FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = ${id}`;
  return row ?? null;
}

export async function touchApiKey(sql: Sql, id: string): Promise<void> {
  await sql`UPDATE api_keys SET last_used_at = now() WHERE id = ${id}`;
}

/** Newest first: one user's keys, or everyone's (revoked ones too: they say when). */
export async function listApiKeys(sql: Sql, opts: { userId?: string }): Promise<ApiKeyRow[]> {
  return await sql<ApiKeyRow[]>`
    SELECT k.id, k.user_id AS "userId", u.email, k.name, k.scopes, k.created_at AS "createdAt",
      k.last_used_at AS "lastUsedAt", k.revoked_at AS "revokedAt"
    FROM api_keys k JOIN users u ON u.id = k.user_id
    WHERE TRUE ${opts.userId === undefined ? sql`` : sql`AND k.user_id = ${opts.userId}`}
    ORDER BY k.revoked_at IS NOT NULL, k.created_at DESC
    LIMIT 1000`;
}

/** Revokes a key that is not revoked yet, only if it is `userId`'s when given. */
export async function revokeApiKey(
  sql: Sql,
  id: string,
  userId?: string,
): Promise<{ userId: string; name: string } | null> {
  const [row] = await sql<{ userId: string; name: string }[]>`
    UPDATE api_keys SET revoked_at = now()
    WHERE id = ${id} AND revoked_at IS NULL
      ${userId === undefined ? sql`` : sql`AND user_id = ${userId}`}
    RETURNING user_id AS "userId", name`;
  return row ?? null;
}
