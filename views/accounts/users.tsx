/**
 * /admin/users: everyone who can use Glassbox. Create a user (with a password, or without one to
 * invite them to sign in by single sign-on), change a role, disable, reset a password, sign
 * them out everywhere, delete them with all they own.
 */
import type { UserSummary } from "../../db/users.ts";
import { type PageChrome, PageShell } from "../common/chrome.tsx";
import { renderDocument } from "../common/layout.tsx";
import { ActionButton, NewPassword, PageHead, type PageNotes, When } from "./parts.tsx";
import { ScrollTable } from "../common/table.tsx";

export interface UsersProps extends PageChrome, PageNotes {
  users: UserSummary[];
  /** The admin looking: they cannot change themselves here. */
  meId: string;
  localUserId: string;
}

export function UsersPage(p: UsersProps): string {
  const now = p.now ?? Date.now();
  return renderDocument(
    <PageShell {...p} title="Users · Glassbox" current="users">
      <PageHead title="Users" ok={p.ok} error={p.error}>
        Members see their own conversations, runs, calls, logs and usage; admins see everyone's and
        manage users and keys.
      </PageHead>
      <section class="panel" aria-labelledby="h-new-user">
        <h2 id="h-new-user">Add a user</h2>
        <form method="post" action="/admin/users" class="form-grid form-row">
          <label class="field">
            <span>Email</span>
            <input type="email" name="email" required />
          </label>
          <label class="field">
            <span>Name</span>
            <input name="name" maxlength={200} />
          </label>
          <label class="field">
            <span>Role</span>
            <select name="role">
              <option value="member" selected>member</option>
              <option value="admin">admin</option>
            </select>
          </label>
          <label class="field">
            <span>Password (empty: single sign-on only)</span>
            <NewPassword required={false} />
          </label>
          <button class="btn btn-primary" type="submit">Add user</button>
        </form>
      </section>
      <section class="panel" aria-labelledby="h-users">
        <h2 id="h-users">Everyone</h2>
        <ScrollTable
          id="users"
          head={
            <>
              <th>User</th>
              <th>Role</th>
              <th>Sign-in</th>
              <th>Status</th>
              <th class="num">Sessions</th>
              <th class="num">Keys</th>
              <th>Added</th>
              <th>Actions</th>
            </>
          }
        >
          {p.users.map((u) => (
            <UserRow
              key={u.id}
              user={u}
              me={u.id === p.meId}
              local={u.id === p.localUserId}
              now={now}
            />
          ))}
        </ScrollTable>
      </section>
    </PageShell>,
  );
}

function UserRow(p: { user: UserSummary; me: boolean; local: boolean; now: number }) {
  const u = p.user;
  const base = `/admin/users/${u.id}`;
  const who = u.email ?? u.name;
  const methods = [u.hasPassword ? "password" : "", u.oidcSubject ? "single sign-on" : ""]
    .filter(Boolean).join(", ");
  return (
    <tr data-user-id={u.id}>
      <td>
        <div>{who}</div>
        {u.name && u.email ? <div class="muted">{u.name}</div> : null}
        <a class="muted" href={`/calls?user_id=${u.id}`}>LLM calls</a>
      </td>
      <td>
        {p.me || p.local ? u.role : (
          <form method="post" action={`${base}/role`} class="inline-form">
            <select name="role" aria-label={`Role of ${who}`}>
              <option value="member" selected={u.role === "member"}>member</option>
              <option value="admin" selected={u.role === "admin"}>admin</option>
            </select>
            <button class="btn btn-small" type="submit">Save</button>
          </form>
        )}
      </td>
      <td>{p.local ? <span class="muted">nobody signs in</span> : methods || "invited"}</td>
      <td>
        {u.disabledAt
          ? <span class="badge badge-error">disabled</span>
          : <span class="badge badge-ok">active</span>}
      </td>
      <td class="num">{u.activeSessions}</td>
      <td class="num">{u.activeKeys}</td>
      <td>
        <When at={u.createdAt} now={p.now} />
      </td>
      <td>
        <div class="actions">
          {p.me ? <span class="muted">you</span> : p.local ? null : (
            <>
              <ActionButton
                action={`${base}/${u.disabledAt ? "enable" : "disable"}`}
                label={u.disabledAt ? "Enable" : "Disable"}
              />
              <ActionButton action={`${base}/sign-out`} label="Sign out everywhere" />
              <details class="inline-details">
                <summary class="btn btn-small">Set password</summary>
                <form method="post" action={`${base}/password`} class="inline-form">
                  <NewPassword label={`New password for ${who}`} />
                  <button class="btn btn-small" type="submit">Set</button>
                </form>
              </details>
              <ActionButton
                action={`${base}/delete`}
                label="Delete"
                danger
                confirm={`Delete ${who} and all their conversations, runs and LLM call records?`}
              />
            </>
          )}
        </div>
      </td>
    </tr>
  );
}
