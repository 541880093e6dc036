/**
 * Whose rows a query may see. Every query of owned data (conversations, runs and their events,
 * LLM calls, usage, log records) takes an OwnerScope: a member's is their own user id, an
 * admin's is EVERYONE (optionally narrowed to one user with `user`). Built from the caller in one
 * place (auth/viewer.ts ownerScope); internal callers that may see everything say so with ALL.
 */
import type { Sql } from "./client.ts";

export const EVERYONE = "everyone";

export interface OwnerScope {
  /** The user whose rows these are, or EVERYONE. */
  readonly owner: string;
  /** An extra filter to one user (an admin's user filter); with a member's scope it narrows. */
  readonly user?: string;
}

/** Every row: for the server's own bookkeeping, never for answering a request. */
export const ALL: OwnerScope = { owner: EVERYONE };

/** `AND <column> = …` for the scope (nothing for EVERYONE without a user filter). */
export function ownedBy(sql: Sql, scope: OwnerScope, column = "user_id") {
  const col = sql(column);
  return sql`
    ${scope.owner === EVERYONE ? sql`` : sql`AND ${col} = ${scope.owner}`}
    ${scope.user === undefined ? sql`` : sql`AND ${col} = ${scope.user}`}`;
}

/** The same test for a row already in memory (an active run's journal). */
export function inScope(scope: OwnerScope, ownerId: string): boolean {
  return (scope.owner === EVERYONE || scope.owner === ownerId) &&
    (scope.user === undefined || scope.user === ownerId);
}
