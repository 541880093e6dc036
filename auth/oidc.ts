/**
 * Single sign-on with OpenID Connect (openid-client v6), authorization code flow with PKCE (S256),
 * state and nonce. The pending login (state, nonce, verifier) stays here, keyed by a random id
 * in a short-lived cookie, and is used once. Discovery happens at the first sign-in (an IdP that
 * is down at start-up does not stop Glassbox) and is retried after a failure.
 *
 * Who gets in (app policy, applied to every sign-in):
 * - the IdP must say the email is verified;
 * - a user already linked to this (issuer, subject) signs in, unless disabled;
 * - else a user an admin created with this email and no SSO identity yet (an invitation) is
 *   linked to it;
 * - else a new member is created, only if the email's domain is in the allowed domains (none
 *   configured: nobody new);
 * - with an admin claim configured, the role follows it at every sign-in.
 */
import { clip } from "../agents/spine/text.ts";
import * as client from "openid-client";
import type { OidcConfig } from "../config/auth.ts";
import type { Sql } from "../db/client.ts";
import * as users from "../db/users.ts";
import type { UserRow } from "../db/users.ts";
import { type Actor, audit } from "./audit.ts";
import type { Sessions } from "./sessions.ts";

interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
  /** Where the browser goes after signing in. */
  next: string;
  createdAt: number;
}

export interface OidcIdentity {
  issuer: string;
  subject: string;
  email: string;
  emailVerified: boolean;
  claims: Record<string, unknown>;
}

export const PENDING_TTL_MS = 10 * 60_000;
const MAX_PENDING = 10_000;

export type OidcResult =
  | { ok: true; token: string; expiresAt: Date; user: UserRow; next: string }
  | { ok: false; status: 400 | 403 | 503; message: string };

export const OIDC_FAILED = "Sign-in failed, please try again.";

export class Oidc {
  #configuration: Promise<client.Configuration> | null = null;
  readonly #pending = new Map<string, PendingLogin>();

  constructor(
    readonly settings: OidcConfig,
    private readonly deps: { sql: Sql; sessions: Sessions },
  ) {}

  /** Where to send the browser, and the id of the pending login (for the cookie). */
  async begin(redirectUri: string, next: string): Promise<{ url: URL; pendingId: string } | null> {
    const config = await this.#discover();
    if (!config) return null;
    const pending: PendingLogin = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
      redirectUri,
      next,
      createdAt: Date.now(),
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: this.settings.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: "S256",
      state: pending.state,
      nonce: pending.nonce,
    });
    const pendingId = client.randomState();
    this.#remember(pendingId, pending);
    return { url, pendingId };
  }

  /**
   * The callback: checks state, code (with the PKCE verifier), ID token (signature, issuer,
   * audience, expiry, nonce), applies the policy, and starts a session. The pending login is
   * gone afterwards whatever happened. Errors never carry the code or tokens.
   */
  async complete(
    pendingId: string | undefined,
    requestUrl: URL,
    from: { ip: string; userAgent: string },
    replacing?: string,
  ): Promise<OidcResult> {
    const pending = pendingId ? this.#pending.get(pendingId) : undefined;
    if (pendingId) this.#pending.delete(pendingId);
    const actor: Actor = { userId: null, email: null, ip: from.ip };
    const fail = async (reason: string, status: 400 | 403 = 400, message = OIDC_FAILED) => {
      await audit(this.deps.sql, actor, "sign_in_failed", actor.email, { method: "oidc", reason });
      return { ok: false as const, status, message };
    };
    if (!pending || Date.now() - pending.createdAt > PENDING_TTL_MS) {
      return await fail("no_pending_login");
    }
    const config = await this.#discover();
    if (!config) return { ok: false, status: 503, message: "The sign-in provider is unreachable." };
    let identity: OidcIdentity;
    try {
      identity = await this.#identity(config, requestUrl, pending);
    } catch (err) {
      const e = err as { code?: string; error?: string };
      return await fail(String(e.error ?? e.code ?? (err as Error).name));
    }
    actor.email = identity.email.toLowerCase() || null;
    const decided = await this.#account(identity, actor);
    if (!decided.ok) {
      return await fail(decided.reason, 403, "This account may not sign in to Glassbox.");
    }
    const user = decided.user;
    actor.userId = user.id;
    const session = await this.deps.sessions.start(user.id, from, replacing);
    await audit(this.deps.sql, actor, "sign_in", user.email, {
      method: "oidc",
      ...(decided.created && { created: true }),
    });
    return { ok: true, ...session, user, next: pending.next };
  }

  async #identity(
    config: client.Configuration,
    requestUrl: URL,
    pending: PendingLogin,
  ): Promise<OidcIdentity> {
    // openid-client sends the callback URL (minus its query) as redirect_uri: rebuild it on the
    // one sent at the start, since behind a proxy the request URL is not the public one.
    const callback = new URL(pending.redirectUri);
    callback.search = requestUrl.search;
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims()!;
    let claims: Record<string, unknown> = { ...idClaims };
    // Many IdPs put scope claims (email, groups) only in userinfo.
    const adminClaim = this.settings.adminClaim;
    if (claims.email === undefined || (adminClaim && claims[adminClaim] === undefined)) {
      const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      claims = { ...info, ...idClaims };
    }
    return {
      issuer: idClaims.iss,
      subject: idClaims.sub,
      email: typeof claims.email === "string" ? claims.email : "",
      emailVerified: claims.email_verified === true,
      claims,
    };
  }

  /** The policy in this module's header: the user to sign in, or why not. */
  async #account(
    identity: OidcIdentity,
    actor: Actor,
  ): Promise<{ ok: true; user: UserRow; created: boolean } | { ok: false; reason: string }> {
    const { sql } = this.deps;
    const email = identity.email.toLowerCase();
    if (!email || !identity.emailVerified) return { ok: false, reason: "email_unverified" };
    const role = this.#roleByClaim(identity);
    let user = await users.userByOidc(sql, identity.issuer, identity.subject);
    let created = false;
    if (!user) {
      const invited = await users.userByEmail(sql, email);
      if (invited?.oidcSubject) return { ok: false, reason: "email_linked_elsewhere" };
      if (invited) {
        await users.linkOidc(sql, invited.id, identity);
        user = invited;
      } else {
        const domain = email.slice(email.lastIndexOf("@") + 1);
        if (!this.settings.allowedDomains.includes(domain)) {
          return { ok: false, reason: "domain_not_allowed" };
        }
        const id = crypto.randomUUID();
        const name = typeof identity.claims.name === "string" ? identity.claims.name : "";
        await users.insertUser(sql, {
          id,
          email,
          name: clip(name, 200),
          role: role ?? "member",
          passwordHash: null,
          oidc: identity,
        });
        user = (await users.getUser(sql, id))!;
        created = true;
      }
    }
    if (user.disabledAt) return { ok: false, reason: "disabled" };
    if (role && user.role !== role) {
      await users.setRole(sql, user.id, role);
      await audit(sql, { ...actor, userId: user.id }, "user_role_changed", user.email, {
        from: user.role,
        to: role,
        by: "oidc_claim",
      });
      user = { ...user, role };
    }
    return { ok: true, user, created };
  }

  /** admin/member from the configured claim, or null when no admin claim is configured. */
  #roleByClaim(identity: OidcIdentity): "admin" | "member" | null {
    const { adminClaim, adminValue } = this.settings;
    if (!adminClaim || adminValue === null) return null;
    const value = identity.claims[adminClaim];
    const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
    return values.includes(adminValue) ? "admin" : "member";
  }

  #remember(id: string, pending: PendingLogin): void {
    const now = Date.now();
    for (const [key, p] of this.#pending) {
      // Oldest first (insertion order): stop at the first one still fresh, unless over the cap.
      if (now - p.createdAt <= PENDING_TTL_MS && this.#pending.size < MAX_PENDING) break;
      this.#pending.delete(key);
    }
    this.#pending.set(id, pending);
  }

  /** The IdP's configuration, discovered once; null (and retried next time) while unreachable. */
  async #discover(): Promise<client.Configuration | null> {
    const s = this.settings;
    this.#configuration ??= (() => {
      const insecure = new URL(s.issuer).protocol === "http:"; // loopback only (config.ts)
      const auth = s.tokenAuth === "client_secret_post"
        ? client.ClientSecretPost(s.clientSecret)
        : client.ClientSecretBasic(s.clientSecret);
      return client.discovery(new URL(s.issuer), s.clientId, undefined, auth, {
        execute: insecure ? [client.allowInsecureRequests] : [],
        timeout: 10,
      });
    })();
    try {
      return await this.#configuration;
    } catch {
      this.#configuration = null;
      return null;
    }
  }
}
