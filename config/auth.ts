/** Who may use Glassbox: the auth mode, the first admin, sessions, OpenID Connect, /metrics. */
import { z } from "zod";
import { isLoopbackHost } from "./server.ts";
import type { Parsed, VarBuilders } from "./vars.ts";

/**
 * Who may use Glassbox. `local`: nobody signs in, every request is the one local user (only on a
 * loopback address). `on`: accounts (password and/or OpenID Connect) are required. `off`: open
 * to anyone who reaches the port, deliberately (every page warns).
 */
export type AuthMode = "local" | "on" | "off";

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Lower-case domains a signing-in email must have; empty: any verified email. */
  allowedDomains: string[];
  /** A claim (string or list) and the value in it that makes the user an admin. */
  adminClaim: string | null;
  adminValue: string | null;
  scopes: string;
  tokenAuth: "client_secret_basic" | "client_secret_post";
}

export interface AuthConfig {
  mode: AuthMode;
  /** First admin, created at start when no admin exists. */
  adminEmail: string | null;
  adminPassword: string | null;
  /** A file holding the first admin's password (Docker secrets); read at start. */
  adminPasswordFile: string | null;
  /** The origin browsers use (https://gb.example.com); null: the request's own. */
  publicUrl: string | null;
  /** One reverse proxy in front: honour its X-Forwarded-Proto/Host/For. */
  trustProxy: boolean;
  sessionIdleHours: number;
  sessionMaxDays: number;
  oidc: OidcConfig | null;
  /** argon2 workers (each holds 19 MiB while hashing). */
  hashWorkers: number;
  /** GLASSBOX_METRICS_TOKEN: a bearer token that may read /metrics (a scraper's); null: none. */
  metricsToken: string | null;
}

/** An email address, loosely: something@domain.tld without spaces. */
export const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** At least this long, for a password given in the environment (the first admin's). */
export const MIN_PASSWORD_LENGTH = 12;

export function authVars({ env, integer, url, flag }: VarBuilders) {
  return {
    GLASSBOX_AUTH: z.enum(["on", "off"], {
      errorMap: () => ({
        message: `GLASSBOX_AUTH=${JSON.stringify(env.GLASSBOX_AUTH)} must be "on" or "off"`,
      }),
    }).optional(),
    GLASSBOX_ADMIN_EMAIL: z.string().trim().toLowerCase().refine((e) => EMAIL_RE.test(e), {
      message: `GLASSBOX_ADMIN_EMAIL is not an email address`,
    }).optional(),
    GLASSBOX_ADMIN_PASSWORD: z.string().optional(),
    GLASSBOX_ADMIN_PASSWORD_FILE: z.string().optional(),
    GLASSBOX_PUBLIC_URL: url("GLASSBOX_PUBLIC_URL", ["http:", "https:"]).refine(
      (raw) =>
        raw === undefined || !URL.canParse(raw) || new URL(raw).href === `${new URL(raw).origin}/`,
      { message: "GLASSBOX_PUBLIC_URL must be an origin like https://gb.example.com (no path)" },
    ),
    GLASSBOX_TRUST_PROXY: flag("GLASSBOX_TRUST_PROXY"),
    GLASSBOX_SESSION_IDLE_HOURS: integer("GLASSBOX_SESSION_IDLE_HOURS", 12, 1, 24 * 30),
    GLASSBOX_SESSION_MAX_DAYS: integer("GLASSBOX_SESSION_MAX_DAYS", 7, 1, 400),
    GLASSBOX_OIDC_ISSUER: url("GLASSBOX_OIDC_ISSUER", ["http:", "https:"]),
    GLASSBOX_OIDC_CLIENT_ID: z.string().optional(),
    GLASSBOX_OIDC_CLIENT_SECRET: z.string().optional(),
    GLASSBOX_OIDC_ALLOWED_DOMAINS: z.string().optional().transform((raw) =>
      (raw ?? "").split(",").map((d) => d.trim().toLowerCase()).filter(Boolean)
    ),
    GLASSBOX_OIDC_ADMIN_CLAIM: z.string().optional(),
    GLASSBOX_OIDC_ADMIN_VALUE: z.string().optional(),
    GLASSBOX_OIDC_SCOPES: z.string().default("openid email profile"),
    GLASSBOX_OIDC_TOKEN_AUTH: z.enum(["client_secret_basic", "client_secret_post"], {
      errorMap: () => ({
        message: "GLASSBOX_OIDC_TOKEN_AUTH must be client_secret_basic or client_secret_post",
      }),
    }).default("client_secret_basic"),
    GLASSBOX_AUTH_HASH_WORKERS: integer("GLASSBOX_AUTH_HASH_WORKERS", 1, 1, 16),
    GLASSBOX_METRICS_TOKEN: z.string().trim().min(32, {
      message: "GLASSBOX_METRICS_TOKEN must have at least 32 characters (openssl rand -hex 32)",
    }).optional(),
  };
}

type AuthVars = Parsed<typeof authVars> & { HOST: string };

/** Problems that involve several variables (each variable alone was valid). */
export function authProblems(v: AuthVars, serving: boolean): string[] {
  const problems: string[] = [];
  const adminPassword = v.GLASSBOX_ADMIN_PASSWORD ?? v.GLASSBOX_ADMIN_PASSWORD_FILE;
  if (v.GLASSBOX_ADMIN_PASSWORD && v.GLASSBOX_ADMIN_PASSWORD_FILE) {
    problems.push("set GLASSBOX_ADMIN_PASSWORD or GLASSBOX_ADMIN_PASSWORD_FILE, not both");
  }
  if (!v.GLASSBOX_ADMIN_EMAIL !== !adminPassword) {
    problems.push(
      "GLASSBOX_ADMIN_EMAIL and GLASSBOX_ADMIN_PASSWORD (or _FILE) go together: set both or neither",
    );
  }
  if (v.GLASSBOX_ADMIN_PASSWORD && [...v.GLASSBOX_ADMIN_PASSWORD].length < MIN_PASSWORD_LENGTH) {
    problems.push(`GLASSBOX_ADMIN_PASSWORD must have at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  const oidcVars = [
    "GLASSBOX_OIDC_CLIENT_ID",
    "GLASSBOX_OIDC_CLIENT_SECRET",
    "GLASSBOX_OIDC_ADMIN_CLAIM",
    "GLASSBOX_OIDC_ADMIN_VALUE",
  ] as const;
  if (v.GLASSBOX_OIDC_ISSUER) {
    for (const name of oidcVars.slice(0, 2)) {
      if (!v[name]) problems.push(`GLASSBOX_OIDC_ISSUER needs ${name}`);
    }
    const issuer = new URL(v.GLASSBOX_OIDC_ISSUER);
    if (issuer.protocol === "http:" && !isLoopbackHost(issuer.hostname)) {
      problems.push("GLASSBOX_OIDC_ISSUER must be https (http only on a loopback host)");
    }
    if (!v.GLASSBOX_PUBLIC_URL && !isLoopbackHost(v.HOST)) {
      problems.push(
        "GLASSBOX_OIDC_ISSUER on a non-loopback HOST needs GLASSBOX_PUBLIC_URL (the redirect URI is built from it)",
      );
    }
  } else {
    const stray = oidcVars.filter((name) => v[name]);
    if (stray.length) problems.push(`${stray.join(", ")} need GLASSBOX_OIDC_ISSUER`);
  }
  if (!v.GLASSBOX_OIDC_ADMIN_CLAIM !== !v.GLASSBOX_OIDC_ADMIN_VALUE) {
    problems.push("GLASSBOX_OIDC_ADMIN_CLAIM and GLASSBOX_OIDC_ADMIN_VALUE go together");
  }
  const signIn = Boolean(v.GLASSBOX_ADMIN_EMAIL || v.GLASSBOX_OIDC_ISSUER);
  if (v.GLASSBOX_AUTH === "off" && signIn) {
    problems.push(
      "GLASSBOX_AUTH=off runs without sign-in: remove GLASSBOX_ADMIN_EMAIL/GLASSBOX_OIDC_ISSUER or GLASSBOX_AUTH",
    );
  }
  if (serving && v.GLASSBOX_AUTH === undefined && !signIn && !isLoopbackHost(v.HOST)) {
    problems.push(
      `HOST=${v.HOST} is reachable from other machines and no sign-in is configured: set ` +
        "GLASSBOX_ADMIN_EMAIL and GLASSBOX_ADMIN_PASSWORD (a first admin) or GLASSBOX_OIDC_ISSUER " +
        "(single sign-on), or GLASSBOX_AUTH=off to run open to anyone who reaches the port",
    );
  }
  return problems;
}

/** Unset GLASSBOX_AUTH: on when a way to sign in is configured, else local (loopback only). */
export function authConfig(v: AuthVars): AuthConfig {
  const mode: AuthMode = v.GLASSBOX_AUTH ??
    (v.GLASSBOX_ADMIN_EMAIL || v.GLASSBOX_OIDC_ISSUER ? "on" : "local");
  return {
    mode,
    adminEmail: v.GLASSBOX_ADMIN_EMAIL ?? null,
    adminPassword: v.GLASSBOX_ADMIN_PASSWORD ?? null,
    adminPasswordFile: v.GLASSBOX_ADMIN_PASSWORD_FILE ?? null,
    publicUrl: v.GLASSBOX_PUBLIC_URL ? new URL(v.GLASSBOX_PUBLIC_URL).origin : null,
    trustProxy: v.GLASSBOX_TRUST_PROXY,
    sessionIdleHours: v.GLASSBOX_SESSION_IDLE_HOURS,
    sessionMaxDays: v.GLASSBOX_SESSION_MAX_DAYS,
    oidc: v.GLASSBOX_OIDC_ISSUER
      ? {
        issuer: v.GLASSBOX_OIDC_ISSUER,
        clientId: v.GLASSBOX_OIDC_CLIENT_ID!,
        clientSecret: v.GLASSBOX_OIDC_CLIENT_SECRET!,
        allowedDomains: v.GLASSBOX_OIDC_ALLOWED_DOMAINS,
        adminClaim: v.GLASSBOX_OIDC_ADMIN_CLAIM ?? null,
        adminValue: v.GLASSBOX_OIDC_ADMIN_VALUE ?? null,
        scopes: v.GLASSBOX_OIDC_SCOPES,
        tokenAuth: v.GLASSBOX_OIDC_TOKEN_AUTH,
      }
      : null,
    hashWorkers: v.GLASSBOX_AUTH_HASH_WORKERS,
    metricsToken: v.GLASSBOX_METRICS_TOKEN ?? null,
  };
}
