/**
 * Password sign-in. The throttle (per submitted email and per client IP) answers before any
 * argon2 work; the hash runs in the worker pool, whose bounded queue answers "busy" rather than
 * queueing without end. An unknown email, a user without a password and a disabled user cost
 * the same verify (against DUMMY_HASH) and get the same answer as a wrong password, so neither
 * the answer nor its timing tells which emails exist. Every outcome is audited.
 */
import type { Sql } from "../db/client.ts";
import { setPasswordHash, userByEmail, type UserRow } from "../db/users.ts";
import { type Actor, audit } from "./audit.ts";
import { needsRehash, passwordInputError } from "./password.ts";
import { HasherBusyError, type PasswordPool } from "./password_pool.ts";
import type { Sessions } from "./sessions.ts";
import type { SignInThrottle } from "./throttle.ts";

/**
 * An argon2id hash (DEFAULT_PARAMS) of a random string nobody kept: verifying against it costs
 * what a real verify costs. sign_in_test.ts checks that its parameters stay the default ones.
 */
export const DUMMY_HASH =
  "$argon2id$v=19$m=19456,t=2,p=1$7On59kMjexpVFaw46X97UQ$DTSpywxZk7o0p2D3NjcF2bwebvPSNRUTo/sjku10VKA";

/** The one message for every failed attempt. */
export const SIGN_IN_FAILED = "Email or password is incorrect.";

export type SignInResult =
  | { ok: true; token: string; expiresAt: Date; user: UserRow }
  | { ok: false; status: 400 | 401; message: string }
  | { ok: false; status: 429 | 503; message: string; retryAfterS: number };

export class PasswordSignIn {
  constructor(
    private readonly deps: {
      sql: Sql;
      pool: PasswordPool;
      throttle: SignInThrottle;
      sessions: Sessions;
    },
  ) {}

  async attempt(input: {
    email: string;
    password: string;
    ip: string;
    userAgent: string;
    /** The session cookie that came with the request: ended (a new id is issued). */
    replacing?: string;
  }): Promise<SignInResult> {
    const { sql, pool, throttle, sessions } = this.deps;
    const email = input.email.trim().toLowerCase();
    const invalid = passwordInputError(input.password);
    if (!email || email.length > 320 || !email.isWellFormed() || invalid) {
      return { ok: false, status: 400, message: invalid ?? "Enter your email address." };
    }
    const waitMs = throttle.retryAfterMs(email, input.ip);
    if (waitMs > 0) {
      const retryAfterS = Math.ceil(waitMs / 1000);
      return {
        ok: false,
        status: 429,
        message: `Too many failed sign-ins. Try again in ${retryAfterS} s.`,
        retryAfterS,
      };
    }
    const user = await userByEmail(sql, email);
    let verified: boolean;
    try {
      verified = await pool.verify(input.password, user?.passwordHash ?? DUMMY_HASH);
    } catch (err) {
      if (!(err instanceof HasherBusyError)) throw err;
      return { ok: false, status: 503, message: "Busy, please try again.", retryAfterS: 1 };
    }
    const actor: Actor = { userId: user?.id ?? null, email, ip: input.ip };
    if (!verified || !user?.passwordHash || user.disabledAt) {
      throttle.failed(email, input.ip);
      const reason = !user
        ? "unknown_email"
        : !user.passwordHash
        ? "no_password"
        : user.disabledAt
        ? "disabled"
        : "wrong_password";
      await audit(sql, actor, "sign_in_failed", email, { method: "password", reason });
      return { ok: false, status: 401, message: SIGN_IN_FAILED };
    }
    throttle.succeeded(email);
    if (needsRehash(user.passwordHash)) {
      await setPasswordHash(sql, user.id, await pool.hash(input.password));
    }
    const session = await sessions.start(user.id, input, input.replacing);
    await audit(sql, actor, "sign_in", email, { method: "password" });
    return { ok: true, ...session, user };
  }
}
