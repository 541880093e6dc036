/** A data table as the account, admin and LLM call pages show one. */
import type { Child } from "hono/jsx";

/**
 * A data table in a frame that scrolls sideways on a narrow screen: `head` is the header row's
 * cells, the children are the body's rows.
 */
export function ScrollTable(p: { id: string; head: Child; children?: Child }) {
  return (
    <div class="table-scroll">
      <table class="data-table" id={p.id}>
        <thead>
          <tr>{p.head}</tr>
        </thead>
        <tbody>{p.children}</tbody>
      </table>
    </div>
  );
}
