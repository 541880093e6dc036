/** The building blocks of streamed fragments: SSE framing, appends, out-of-band replacements. */
import type { Child } from "hono/jsx";
import { sseFrame } from "../../agents/spine/sse.ts";
import * as F from "../chat/fragments.tsx";
import { ids } from "../run/dom_ids.ts";
import type { RunView } from "../run/run_view.ts";

/** One SSE message (a view-side name for agents/sse.ts sseFrame). */
export function sseMessage(data: string, opts: { id?: number; event?: string } = {}): string {
  return sseFrame({ id: opts.id, event: opts.event, data });
}

/** Appends children at the end of `#target` (an hx-partial, i.e. a <template>). */
export function append(target: string, children: Child, swap = "beforeend"): string {
  return String(
    <hx-partial hx-target={`#${target}`} hx-swap={swap}>{children}</hx-partial>,
  );
}

/** The component's root element, marked to replace the element with the same id. */
export function oob(node: Child, swap = "true"): string {
  const html = String(node);
  if (!/^<[a-z]/.test(html)) throw new Error("oob() needs an element");
  return html.replace(/^<([a-z][a-z0-9-]*)/, `<$1 hx-swap-oob="${swap}"`);
}

/** New text for the aria-live status line (its content only, so the live region stays). */
export function statusLine(text: string): string {
  return oob(<p id={ids.statusLine}>{text}</p>, "innerHTML");
}

/** Resets the live panels for a run (RUN_STARTED, and the POST /chat preamble). */
export function runPanels(v: RunView, status: string): string {
  return [
    oob(<F.RunStateBadge state={v.state} />),
    oob(<F.ProgressBar progress={v.progress} />),
    oob(<F.RunTree root={v.tree} />),
    v.agents.length ? oob(<F.AgentStatusPanel agents={v.agents} />) : "",
    oob(<F.LogList logs={v.logs} />),
    oob(<F.UsageSummary usage={v.usage} state={v.state} />),
    oob(<F.LiveCost cost={null} />),
    oob(<F.ConnectionIndicator state="live" />),
    statusLine(status),
  ].join("");
}
