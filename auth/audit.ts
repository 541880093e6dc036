/** Writing the audit log: who (the acting viewer, or nobody yet for a sign-in) did what, from where. */
import type { JSONValue } from "postgres";
import type { Sql } from "../db/client.ts";
import { type AuditAction, insertAudit } from "../db/audit_log.ts";

/** Who acts: a user (or nobody, e.g. a failed sign-in) and the client address. */
export interface Actor {
  userId: string | null;
  email: string | null;
  ip: string;
}

export function audit(
  sql: Sql,
  actor: Actor,
  action: AuditAction,
  target: string | null,
  detail?: Record<string, JSONValue>,
): Promise<void> {
  return insertAudit(sql, {
    actorUserId: actor.userId,
    actorEmail: actor.email,
    action,
    target,
    ip: actor.ip,
    detail,
  });
}
