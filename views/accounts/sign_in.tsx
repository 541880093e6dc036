/** The sign-in page: email and password, and single sign-on when it is configured. */
import { Layout, renderDocument } from "../common/layout.tsx";

export interface SignInProps {
  assetVersion: string;
  /** Where to go after signing in (a path on this site). */
  next: string;
  email?: string;
  error?: string | null;
  /** The SSO button, when OpenID Connect is configured. */
  sso: boolean;
}

export function SignInPage(p: SignInProps): string {
  const ssoHref = `/auth/oidc/start?next=${encodeURIComponent(p.next)}`;
  return renderDocument(
    <Layout title="Sign in · Glassbox" assetVersion={p.assetVersion}>
      <main class="auth-page" id="main">
        <div class="auth-card panel">
          <p class="brand">
            <span class="brand-mark" aria-hidden="true"></span>Glassbox
          </p>
          <h1>Sign in</h1>
          {p.error ? <p class="notice notice-error" role="alert">{p.error}</p> : null}
          <form method="post" action="/sign-in" class="form-grid">
            <input type="hidden" name="next" value={p.next} />
            <label class="field">
              <span>Email</span>
              <input
                type="email"
                name="email"
                autocomplete="username"
                required
                value={p.email ?? ""}
                autofocus
              />
            </label>
            <label class="field">
              <span>Password</span>
              <input type="password" name="password" autocomplete="current-password" required />
            </label>
            <button class="btn btn-primary" type="submit">Sign in</button>
          </form>
          {p.sso
            ? (
              <>
                <p class="auth-or muted">or</p>
                <a class="btn" href={ssoHref} id="sso-sign-in">Sign in with single sign-on</a>
              </>
            )
            : null}
        </div>
      </main>
    </Layout>,
  );
}
