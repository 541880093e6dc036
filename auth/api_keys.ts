/**
 * API keys for programs: `Authorization: Bearer gb_live_<id>_<secret>`. The key is shown once at
 * creation; the database keeps the id (shown in lists as `gb_live_<id>_…`) and SHA-256 of the
 * secret. A key acts as its owner with the scopes it was given, never more than the owner's role
 * allows now; a revoked key, or one of a disabled user, is refused like a wrong one — and so is a
 * key of the local user once sign-in is on (made in the quick start, it must not outlive it).
 */
import type { Sql } from "../db/client.ts";
import * as db from "../db/api_keys.ts";
import { LOCAL_USER_ID } from "../db/users.ts";
import { AccountError } from "./errors.ts";
import { digestsEqual, newApiKey, parseApiKey } from "./tokens.ts";
import { keyScopes, type Role, roleScopes, type Scope, type Viewer } from "./viewer.ts";

/** last_used_at is written at most this often per key. */
const TOUCH_EVERY_MS = 60_000;
const MAX_NAME = 100;

export class ApiKeys {
  constructor(private readonly sql: Sql, private readonly opts: { refuseLocalUser: boolean }) {}

  /** A new key for the owner; the only time the whole key is known. */
  async create(
    owner: { userId: string; role: Role },
    name: string,
    scopes: Scope[],
  ): Promise<{ key: string; id: string }> {
    const label = name.trim();
    if (!label || label.length > MAX_NAME || !label.isWellFormed() || label.includes("\0")) {
      throw new AccountError(400, `Give the key a name of 1 to ${MAX_NAME} characters.`);
    }
    const allowed = roleScopes(owner.role);
    if (scopes.length === 0) throw new AccountError(400, "Choose at least one scope.");
    const extra = scopes.filter((s) => !allowed.includes(s));
    if (extra.length) {
      throw new AccountError(403, `A ${owner.role} cannot give a key the scope ${extra[0]}.`);
    }
    const { key, id, digest } = await newApiKey();
    await db.insertApiKey(this.sql, {
      id,
      userId: owner.userId,
      name: label,
      digest,
      scopes: [...new Set(scopes)],
    });
    return { key, id };
  }

  /** The viewer a presented key stands for; null when it is malformed, unknown, wrong or dead. */
  async viewer(presented: string): Promise<Viewer | null> {
    const parsed = await parseApiKey(presented);
    if (!parsed) return null;
    const k = await db.keyCredential(this.sql, parsed.id);
    if (!k || !digestsEqual(k.secretHash, parsed.digest) || k.revokedAt || k.disabledAt) {
      return null;
    }
    if (this.opts.refuseLocalUser && k.userId === LOCAL_USER_ID) return null;
    if (!k.lastUsedAt || Date.now() - k.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
      await db.touchApiKey(this.sql, parsed.id);
    }
    return {
      userId: k.userId,
      email: k.email,
      name: k.name,
      role: k.role,
      scopes: keyScopes(k.role, k.scopes),
      via: "key",
      keyId: parsed.id,
    };
  }

  list(userId?: string): Promise<db.ApiKeyRow[]> {
    return db.listApiKeys(this.sql, { userId });
  }

  /** Revokes a live key (only `userId`'s when given); null when there is no such live key. */
  revoke(id: string, userId?: string): Promise<{ userId: string; name: string } | null> {
    return db.revokeApiKey(this.sql, id, userId);
  }
}
