/** The audit log: append-only entries of who did what (sign-ins, users, roles, keys, deletions). */
import type { JSONValue } from "postgres";
import type { Sql } from "./client.ts";

export const AUDIT_ACTIONS = [
  "sign_in",
  "sign_in_failed",
  "sign_out",
  "sessions_ended",
  "admin_bootstrap",
  "user_created",
  "user_role_changed",
  "user_disabled",
  "user_enabled",
  "user_deleted",
  "password_changed",
  "key_created",
  "key_revoked",
  "budget_set",
  "budget_removed",
  "cost_setting_changed",
  "alert_rule_created",
  "alert_rule_enabled",
  "alert_rule_disabled",
  "alert_rule_deleted",
  "logs_cleared",
] as const;
export type AuditAction = typeof AUDIT_ACTIONS[number];

export interface AuditEntry {
  actorUserId: string | null;
  actorEmail: string | null;
  action: AuditAction;
  /** What it was done to: a user's email, a key's id… */
  target: string | null;
  ip: string;
  /** Never secrets: no passwords, tokens or keys, only their public ids. */
  detail?: Record<string, JSONValue>;
}

export interface AuditRow extends Omit<AuditEntry, "detail"> {
  id: number;
  at: Date;
  detail: Record<string, unknown>;
}

export async function insertAudit(sql: Sql, e: AuditEntry): Promise<void> {
  await sql`
    INSERT INTO audit_log (actor_user_id, actor_email, action, target, ip, detail)
    VALUES (${e.actorUserId}, ${e.actorEmail}, ${e.action}, ${e.target}, ${e.ip},
      ${sql.json(e.detail ?? {})})`;
}

/** Newest first, paged by id: entries older than `before`. */
export async function listAudit(
  sql: Sql,
  opts: { limit: number; before?: number; action?: AuditAction },
): Promise<AuditRow[]> {
  return await sql<AuditRow[]>`
    SELECT id, at, actor_user_id AS "actorUserId", actor_email AS "actorEmail", action, target,
      ip, detail
    FROM audit_log
    WHERE TRUE
      ${opts.before === undefined ? sql`` : sql`AND id < ${opts.before}`}
      ${opts.action === undefined ? sql`` : sql`AND action = ${opts.action}`}
    ORDER BY id DESC LIMIT ${opts.limit}`;
}
