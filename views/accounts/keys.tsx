/**
 * /keys: API keys for programs. A member sees their own, an admin everyone's. A new key is shown
 * once, on the page that created it; lists show only its public id.
 */
import type { ApiKeyRow, Scope } from "../../db/api_keys.ts";
import { type PageChrome, PageShell } from "../common/chrome.tsx";
import { renderDocument } from "../common/layout.tsx";
import { ActionButton, PageHead, type PageNotes, When } from "./parts.tsx";
import { ScrollTable } from "../common/table.tsx";

export const SCOPE_HELP: Record<Scope, string> = {
  read: "read runs, calls, conversations, logs and usage",
  chat: "start and cancel runs",
  admin: "act as an admin: everyone's data",
  gateway: "use the LLM gateway",
};

export interface KeysProps extends PageChrome, PageNotes {
  keys: ApiKeyRow[];
  /** Admins see everyone's keys, with their owner. */
  everyone: boolean;
  /** The scopes this user may give a key. */
  scopes: readonly Scope[];
  /** A key just made: the only time it is shown. */
  created?: { key: string; name: string } | null;
}

export function KeysPage(p: KeysProps): string {
  const now = p.now ?? Date.now();
  return renderDocument(
    <PageShell {...p} title="API keys · Glassbox" current="keys">
      <PageHead title="API keys" ok={p.ok} error={p.error}>
        For programs: send <code>Authorization: Bearer gb_live_…</code>{" "}
        to /api/v1 (JSON, SSE, WebSocket, AG-UI). A key acts as you, with the scopes you give it.
      </PageHead>
      {p.created
        ? (
          <section class="panel key-once" aria-labelledby="h-new-key">
            <h2 id="h-new-key">New key “{p.created.name}”</h2>
            <p>Copy it now: it is not shown again.</p>
            <pre class="mono" id="new-key">{p.created.key}</pre>
          </section>
        )
        : null}
      <section class="panel" aria-labelledby="h-create-key">
        <h2 id="h-create-key">Create a key</h2>
        <form method="post" action="/keys" class="form-grid">
          <label class="field">
            <span>Name</span>
            <input name="name" required maxlength={100} placeholder="e.g. dashboard" />
          </label>
          <fieldset class="field scopes">
            <legend>Scopes</legend>
            {p.scopes.map((s) => (
              <label class="check" key={s}>
                <input type="checkbox" name="scope" value={s} checked={s === "read"} />
                <span>
                  <code>{s}</code> <span class="muted">{SCOPE_HELP[s]}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <button class="btn btn-primary" type="submit">Create key</button>
        </form>
      </section>
      <section class="panel" aria-labelledby="h-keys">
        <h2 id="h-keys">{p.everyone ? "Everyone's keys" : "Your keys"}</h2>
        {p.keys.length === 0 ? <p class="calls-empty">No keys yet.</p> : (
          <ScrollTable
            id="keys"
            head={
              <>
                <th>Name</th>
                <th>Key</th>
                {p.everyone ? <th>User</th> : null}
                <th>Scopes</th>
                <th>Created</th>
                <th>Last used</th>
                <th>Status</th>
                <th></th>
              </>
            }
          >
            {p.keys.map((k) => (
              <tr key={k.id} data-key-id={k.id}>
                <td>{k.name}</td>
                <td class="mono">gb_live_{k.id}_…</td>
                {p.everyone ? <td>{k.email ?? "Local user"}</td> : null}
                <td class="mono">{k.scopes.join(" ")}</td>
                <td>
                  <When at={k.createdAt} now={now} />
                </td>
                <td>
                  <When at={k.lastUsedAt} now={now} />
                </td>
                <td>
                  {k.revokedAt
                    ? (
                      <span class="badge badge-cancelled">
                        revoked <When at={k.revokedAt} now={now} />
                      </span>
                    )
                    : <span class="badge badge-ok">active</span>}
                </td>
                <td class="num">
                  {k.revokedAt ? null : (
                    <ActionButton
                      action={`/keys/${k.id}/revoke`}
                      label="Revoke"
                      danger
                      confirm={`Revoke the key “${k.name}”? Programs using it stop working.`}
                    />
                  )}
                </td>
              </tr>
            ))}
          </ScrollTable>
        )}
      </section>
    </PageShell>,
  );
}
