/**
 * Managing users, with the rules that keep Glassbox administrable: there is always an enabled
 * admin who can sign in, nobody disables, demotes or deletes themselves, and the local user is
 * left alone. Disabling or deleting a user, or setting their password, ends their sessions. Every
 * change is audited (never with a password in it).
 */
import type { Sql } from "../db/client.ts";
import * as users from "../db/users.ts";
import { LOCAL_USER_ID, type Role, type UserRow } from "../db/users.ts";
import { EMAIL_RE, MIN_PASSWORD_LENGTH } from "../config/auth.ts";
import { type Actor, audit } from "./audit.ts";
import { AccountError } from "./errors.ts";
import { passwordInputError } from "./password.ts";
import type { PasswordPool } from "./password_pool.ts";
import type { Sessions } from "./sessions.ts";

/** A password an admin or a user sets: the input checks and a minimum length. */
export function newPasswordError(password: string): string | null {
  const invalid = passwordInputError(password);
  if (invalid) return invalid;
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    return `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  }
  return null;
}

export class UserAdmin {
  constructor(
    private readonly deps: {
      sql: Sql;
      pool: PasswordPool;
      sessions: Sessions;
      /** Whether the user has a run going here (such a user cannot be deleted yet). */
      hasActiveRuns(userId: string): boolean;
    },
  ) {}

  /** A new user; without a password they can sign in only by single sign-on (an invitation). */
  async create(
    actor: Actor,
    input: { email: string; name?: string; role: Role; password: string | null },
  ): Promise<UserRow> {
    const { sql, pool } = this.deps;
    const email = input.email.trim().toLowerCase();
    if (!EMAIL_RE.test(email) || email.length > 320 || !email.isWellFormed()) {
      throw new AccountError(400, "Enter a valid email address.");
    }
    const name = (input.name ?? "").trim();
    if (name.length > 200 || !name.isWellFormed() || name.includes("\0")) {
      throw new AccountError(400, "Names are at most 200 characters.");
    }
    if (input.password !== null) {
      const problem = newPasswordError(input.password);
      if (problem) throw new AccountError(400, problem);
    }
    if (await users.userByEmail(sql, email)) {
      throw new AccountError(409, `There is already a user with the email ${email}.`);
    }
    const id = crypto.randomUUID();
    const passwordHash = input.password === null ? null : await pool.hash(input.password);
    try {
      await users.insertUser(sql, { id, email, name, role: input.role, passwordHash });
    } catch (err) {
      if ((err as { code?: string }).code === "23505") {
        throw new AccountError(409, `There is already a user with the email ${email}.`);
      }
      throw err;
    }
    await audit(sql, actor, "user_created", email, {
      role: input.role,
      password: passwordHash !== null,
    });
    return (await users.getUser(sql, id))!;
  }

  async setRole(actor: Actor, userId: string, role: Role): Promise<void> {
    const user = await this.#changeable(actor, userId, "change your own role");
    if (user.role === role) return;
    if (user.role === "admin") await this.#keepAnAdmin(user);
    await users.setRole(this.deps.sql, userId, role);
    await audit(this.deps.sql, actor, "user_role_changed", user.email, {
      from: user.role,
      to: role,
    });
  }

  async setDisabled(actor: Actor, userId: string, disabled: boolean): Promise<void> {
    const user = await this.#changeable(actor, userId, "disable yourself");
    if ((user.disabledAt !== null) === disabled) return;
    if (disabled && user.role === "admin") await this.#keepAnAdmin(user);
    await users.setDisabled(this.deps.sql, userId, disabled);
    if (disabled) await this.deps.sessions.endAllOf(userId);
    await audit(this.deps.sql, actor, disabled ? "user_disabled" : "user_enabled", user.email);
  }

  /** Deletes the user with all they own (conversations, runs, events, LLM calls, keys). */
  async delete(actor: Actor, userId: string): Promise<void> {
    const user = await this.#changeable(actor, userId, "delete yourself");
    if (user.role === "admin") await this.#keepAnAdmin(user);
    if (this.deps.hasActiveRuns(userId)) {
      throw new AccountError(409, `${user.email} has a run going; try again when it ends.`);
    }
    await users.deleteUserAndData(this.deps.sql, userId);
    await audit(this.deps.sql, actor, "user_deleted", user.email, { userId });
  }

  /** An admin sets someone's password (null removes it); their sessions end. */
  async setPassword(actor: Actor, userId: string, password: string | null): Promise<void> {
    const user = await this.#changeable(actor, userId, "reset your own password here");
    await this.#storePassword(user, password);
    await this.deps.sessions.endAllOf(userId);
    await audit(this.deps.sql, actor, "password_changed", user.email, { by: "admin" });
  }

  /** A user changes their own password; their other sessions end. */
  async changeOwnPassword(
    actor: Actor & { userId: string },
    current: string,
    next: string,
    keepSession: string | undefined,
  ): Promise<void> {
    const user = await users.getUser(this.deps.sql, actor.userId);
    if (!user || user.id === LOCAL_USER_ID) throw new AccountError(404, "No such user.");
    const ok = user.passwordHash !== null && passwordInputError(current) === null &&
      await this.deps.pool.verify(current, user.passwordHash);
    if (!ok) throw new AccountError(400, "The current password is not right.");
    await this.#storePassword(user, next);
    await this.deps.sessions.endAllOf(user.id, keepSession);
    await audit(this.deps.sql, actor, "password_changed", user.email, { by: "self" });
  }

  async #storePassword(user: UserRow, password: string | null): Promise<void> {
    if (password !== null) {
      const problem = newPasswordError(password);
      if (problem) throw new AccountError(400, problem);
    }
    const hash = password === null ? null : await this.deps.pool.hash(password);
    await users.setPasswordHash(this.deps.sql, user.id, hash);
  }

  /** The user, if it exists, is not the local user and is not the actor. */
  async #changeable(actor: Actor, userId: string, selfAction: string): Promise<UserRow> {
    const user = await users.getUser(this.deps.sql, userId);
    if (!user) throw new AccountError(404, "No such user.");
    if (user.id === LOCAL_USER_ID) {
      throw new AccountError(403, "The local user cannot be changed.");
    }
    if (user.id === actor.userId) throw new AccountError(403, `You cannot ${selfAction}.`);
    return user;
  }

  /** Refuses to take away the last enabled admin. */
  async #keepAnAdmin(user: UserRow): Promise<void> {
    if (user.disabledAt === null && (await users.countActiveAdmins(this.deps.sql)) <= 1) {
      throw new AccountError(409, `${user.email} is the only admin; make another admin first.`);
    }
  }
}
