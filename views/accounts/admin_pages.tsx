/** The admin's other pages: everyone's active sign-ins, and the audit log. */
import type { AuditRow } from "../../db/audit_log.ts";
import type { SessionRow } from "../../db/sessions.ts";
import { type PageChrome, PageShell } from "../common/chrome.tsx";
import { renderDocument } from "../common/layout.tsx";
import { SessionsTable } from "./account.tsx";
import { PageHead, type PageNotes, When } from "./parts.tsx";
import { ScrollTable } from "../common/table.tsx";

export function SignInsPage(
  p: PageChrome & PageNotes & { sessions: SessionRow[]; currentSessionId: string | null },
): string {
  return renderDocument(
    <PageShell {...p} title="Sign-ins · Glassbox" current="sign-ins">
      <PageHead title="Active sign-ins" ok={p.ok}>
        Every browser signed in now, newest activity first.
      </PageHead>
      <section class="panel">
        <SessionsTable
          sessions={p.sessions}
          current={p.currentSessionId}
          now={p.now ?? Date.now()}
          admin
        />
      </section>
    </PageShell>,
  );
}

export function AuditPage(
  p: PageChrome & PageNotes & {
    entries: AuditRow[];
    /** The filter's choices, and the one chosen ("" for any). */
    actions: readonly string[];
    action: string;
    olderUrl: string | null;
  },
): string {
  const now = p.now ?? Date.now();
  return renderDocument(
    <PageShell {...p} title="Audit log · Glassbox" current="audit">
      <PageHead title="Audit log">
        Sign-ins and failed sign-ins, users, roles, passwords, keys and deletions; newest first.
      </PageHead>
      <form class="panel calls-filters" method="get" action="/admin/audit" role="search">
        <label>
          <span>Action</span>
          <select name="action">
            <option value="" selected={p.action === ""}>Any</option>
            {p.actions.map((a) => <option key={a} value={a} selected={a === p.action}>{a}</option>)}
          </select>
        </label>
        <div class="calls-filter-actions">
          <button type="submit" class="btn btn-primary">Apply</button>
        </div>
      </form>
      <section class="panel">
        {p.entries.length === 0 ? <p class="calls-empty">Nothing recorded.</p> : (
          <ScrollTable
            id="audit"
            head={
              <>
                <th>When</th>
                <th>Who</th>
                <th>Action</th>
                <th>Target</th>
                <th>Address</th>
                <th>Detail</th>
              </>
            }
          >
            {p.entries.map((e) => (
              <tr key={e.id} data-action={e.action}>
                <td class="nowrap">
                  <When at={e.at} now={now} />
                </td>
                <td>{e.actorEmail ?? <span class="muted">–</span>}</td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>{e.target ?? ""}</td>
                <td class="mono">{e.ip}</td>
                <td class="mono">
                  {Object.keys(e.detail).length ? JSON.stringify(e.detail) : ""}
                </td>
              </tr>
            ))}
          </ScrollTable>
        )}
        {p.olderUrl
          ? (
            <nav class="calls-pager" aria-label="Pages">
              <a href={p.olderUrl}>Older →</a>
            </nav>
          )
          : null}
      </section>
    </PageShell>,
  );
}
