/**
 * Who is asking: the Viewer, resolved once per request (routes/access.ts) from a session cookie,
 * an API key, or — when nobody signs in — the local user. Everything that decides what a request
 * may see or do reads it through the functions here, never from the request itself.
 *
 * Scopes: `read` (see runs, calls, conversations, logs, usage), `chat` (start and cancel runs),
 * `admin` (act as an admin: everyone's data, users, keys), `gateway` (the LLM gateway, issue 11).
 * A session or the local user holds every scope its role allows; a key holds the scopes it was
 * given, and never more than its owner's role allows today.
 */
import type { Scope } from "../db/api_keys.ts";
import { EVERYONE, type OwnerScope } from "../db/owner.ts";
import type { Role } from "../db/users.ts";

export type { Role, Scope };

export interface Viewer {
  userId: string;
  email: string | null;
  name: string;
  role: Role;
  scopes: ReadonlySet<Scope>;
  via: "session" | "key" | "local";
  /** The key's public id (via key); what audit entries and "last used" refer to. */
  keyId?: string;
}

const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  admin: ["chat", "read", "admin", "gateway"],
  member: ["chat", "read", "gateway"],
};

/** The scopes a user of this role may hold (and may give a key). */
export function roleScopes(role: Role): readonly Scope[] {
  return ROLE_SCOPES[role];
}

/** A key's effective scopes: those it was given that its owner's role still allows. */
export function keyScopes(role: Role, granted: readonly Scope[]): Set<Scope> {
  return new Set(granted.filter((s) => ROLE_SCOPES[role].includes(s)));
}

export function hasScope(viewer: Viewer, scope: Scope): boolean {
  return viewer.scopes.has(scope);
}

/** An admin acting as one: the role, and the admin scope (a member-like key of an admin is not). */
export function isAdmin(viewer: Viewer): boolean {
  return viewer.role === "admin" && viewer.scopes.has("admin");
}

/**
 * Whose rows this viewer may see: an admin everyone's (narrowed to `userFilter` when given), a
 * member their own (a filter for anyone else then matches nothing).
 */
export function ownerScope(viewer: Viewer, userFilter?: string): OwnerScope {
  return {
    owner: isAdmin(viewer) ? EVERYONE : viewer.userId,
    ...(userFilter !== undefined && { user: userFilter }),
  };
}
