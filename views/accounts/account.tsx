/** /account: who you are, your password, and the browsers you are signed in on. */
import type { SessionRow } from "../../db/sessions.ts";
import { type PageChrome, PageShell } from "../common/chrome.tsx";
import { renderDocument } from "../common/layout.tsx";
import { ActionButton, Device, NewPassword, PageHead, type PageNotes, When } from "./parts.tsx";
import { ScrollTable } from "../common/table.tsx";

export interface AccountProps extends PageChrome, PageNotes {
  user: { email: string | null; name: string; role: string; hasPassword: boolean; sso: boolean };
  /** Null for the local user, who has no sessions. */
  sessions: SessionRow[] | null;
  /** The id of this browser's session. */
  currentSessionId: string | null;
}

export function AccountPage(p: AccountProps): string {
  const now = p.now ?? Date.now();
  return renderDocument(
    <PageShell {...p} title="Account · Glassbox" current="account">
      <PageHead title="Account" ok={p.ok} error={p.error}>
        {p.user.email ?? p.user.name} · {p.user.role}
        {p.user.sso ? " · single sign-on" : ""}
      </PageHead>
      {p.user.hasPassword
        ? (
          <section class="panel" aria-labelledby="h-password">
            <h2 id="h-password">Change password</h2>
            <form method="post" action="/account/password" class="form-grid form-narrow">
              <label class="field">
                <span>Current password</span>
                <input
                  type="password"
                  name="current"
                  autocomplete="current-password"
                  required
                />
              </label>
              <label class="field">
                <span>New password (at least 12 characters)</span>
                <NewPassword />
              </label>
              <button class="btn btn-primary" type="submit">Change password</button>
              <p class="muted form-hint">Your other browsers are signed out.</p>
            </form>
          </section>
        )
        : null}
      {p.sessions
        ? (
          <section class="panel" aria-labelledby="h-sessions">
            <div class="panel-head">
              <h2 id="h-sessions">Signed in on</h2>
              <span class="actions">
                <ActionButton
                  action="/account/sessions/end"
                  fields={{ which: "others" }}
                  label="Sign out everywhere else"
                />
                <ActionButton
                  action="/account/sessions/end"
                  fields={{ which: "all" }}
                  label="Sign out everywhere"
                  danger
                />
              </span>
            </div>
            <SessionsTable sessions={p.sessions} current={p.currentSessionId} now={now} />
          </section>
        )
        : null}
    </PageShell>,
  );
}

/** Sessions with their device, address and times; each can be ended. */
export function SessionsTable(
  p: {
    sessions: SessionRow[];
    current: string | null;
    now: number;
    /** Show whose session it is, and end it through the admin route. */
    admin?: boolean;
  },
) {
  if (p.sessions.length === 0) return <p class="calls-empty">No active sessions.</p>;
  return (
    <ScrollTable
      id="sessions"
      head={
        <>
          {p.admin ? <th>User</th> : null}
          <th>Browser</th>
          <th>Address</th>
          <th>Signed in</th>
          <th>Last seen</th>
          <th>Expires</th>
          <th></th>
        </>
      }
    >
      {p.sessions.map((s) => (
        <tr key={s.id} aria-current={s.id === p.current ? "true" : undefined}>
          {p.admin ? <td>{s.email ?? "Local user"}</td> : null}
          <td>
            <Device userAgent={s.userAgent} />
            {s.id === p.current ? <span class="muted this-browser">(this browser)</span> : null}
          </td>
          <td class="mono">{s.ip}</td>
          <td>
            <When at={s.createdAt} now={p.now} />
          </td>
          <td>
            <When at={s.lastSeenAt} now={p.now} />
          </td>
          <td>
            <When at={s.expiresAt} now={p.now} />
          </td>
          <td class="num">
            <ActionButton
              action={p.admin ? `/admin/sign-ins/${s.id}/end` : "/account/sessions/end"}
              fields={p.admin ? {} : { which: s.id }}
              label="Sign out"
            />
          </td>
        </tr>
      ))}
    </ScrollTable>
  );
}
