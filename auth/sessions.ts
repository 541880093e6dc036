/**
 * Sign-in sessions: a 256-bit random token in an HttpOnly cookie, its SHA-256 in Postgres. Each
 * sign-in makes a new session and ends the one whose cookie came with it (a planted session id
 * is useless: session fixation). A session ends when signed out, after `idleMs` without a
 * request, at its absolute end, or at once when its user is disabled or deleted (the lookup
 * joins the user). The role is read with every request, so a role change needs nothing here.
 */
import type { Sql } from "../db/client.ts";
import * as db from "../db/sessions.ts";
import { newSessionToken, sessionDigest } from "./tokens.ts";
import { roleScopes, type Viewer } from "./viewer.ts";

export interface SessionSettings {
  idleMs: number;
  maxAgeMs: number;
}

/** last_seen_at is written at most this often, not on every request. */
const TOUCH_EVERY_MS = 5 * 60_000;

export class Sessions {
  constructor(private readonly sql: Sql, readonly settings: SessionSettings) {}

  /** A new session for the user; `replacing` (the cookie that came with the request) ends. */
  async start(
    userId: string,
    client: { ip: string; userAgent: string },
    replacing?: string,
  ): Promise<{ token: string; expiresAt: Date }> {
    const old = await sessionDigest(replacing);
    if (old) await db.deleteSession(this.sql, old);
    const { token, digest } = await newSessionToken();
    const expiresAt = new Date(Date.now() + this.settings.maxAgeMs);
    await db.insertSession(this.sql, {
      digest,
      userId,
      expiresAt,
      ip: client.ip,
      userAgent: client.userAgent.slice(0, 300),
    });
    return { token, expiresAt };
  }

  /** The viewer of a live session; null for a missing, malformed, expired or ended one. */
  async viewer(token: string | undefined): Promise<Viewer | null> {
    const digest = await sessionDigest(token);
    if (!digest) return null;
    const s = await db.sessionUser(this.sql, digest, this.settings.idleMs);
    if (!s) return null;
    if (Date.now() - s.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
      await db.touchSession(this.sql, digest);
    }
    return {
      userId: s.userId,
      email: s.email,
      name: s.name,
      role: s.role,
      scopes: new Set(roleScopes(s.role)),
      via: "session",
    };
  }

  async end(token: string | undefined): Promise<void> {
    const digest = await sessionDigest(token);
    if (digest) await db.deleteSession(this.sql, digest);
  }

  /** Ends every session of the user but the one of `keep` (a token), if given. */
  async endAllOf(userId: string, keep?: string): Promise<number> {
    return await db.deleteUserSessions(this.sql, userId, (await sessionDigest(keep)) ?? undefined);
  }

  /** The hex id that pages use for the session of this token (never the token itself). */
  async idOf(token: string | undefined): Promise<string | null> {
    const digest = await sessionDigest(token);
    return digest ? Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("") : null;
  }

  list(userId?: string): Promise<db.SessionRow[]> {
    return db.listSessions(this.sql, { userId, idleMs: this.settings.idleMs });
  }

  endById(id: string, userId?: string): Promise<boolean> {
    return db.deleteSessionById(this.sql, id, userId);
  }

  purge(): Promise<number> {
    return db.purgeExpiredSessions(this.sql, this.settings.idleMs);
  }
}
