/** The prompt of an LLM call as it was sent (each message as text), and the tools offered. */
import type { ContentLogging } from "../../config/logging.ts";
import { formatInt } from "../common/format.ts";
import { parsedArgs, prettyJson } from "./shell.tsx";

export function PromptPanel(
  { prompt, logging }: { prompt: unknown[] | null; logging: ContentLogging },
) {
  return (
    <section class="panel" aria-labelledby="h-prompt">
      <div class="panel-head">
        <h2 id="h-prompt">
          Prompt{prompt ? ` · ${prompt.length} message${prompt.length === 1 ? "" : "s"}` : ""}
        </h2>
        <span class="muted call-logging">{loggingNote(logging)}</span>
      </div>
      {prompt === null
        ? (
          <p class="empty-hint">
            Not stored: content logging was off when this call was made (GLASSBOX_LOG_CONTENT).
          </p>
        )
        : (
          <ol class="call-msgs" id="call-prompt">
            {prompt.map((m, i) => <PromptMessage key={i} message={m} />)}
          </ol>
        )}
    </section>
  );
}

export function loggingNote(mode: ContentLogging): string {
  switch (mode.mode) {
    case "full":
      return "Stored in full (GLASSBOX_LOG_CONTENT=full)";
    case "off":
      return "Content logging is off now (GLASSBOX_LOG_CONTENT=off)";
    case "truncate":
      return `Each text is stored up to ${formatInt(mode.chars)} characters (GLASSBOX_LOG_CONTENT)`;
  }
}

export const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);

export function PromptMessage({ message }: { message: unknown }) {
  const m = (typeof message === "object" && message !== null ? message : { content: message }) as
    & Record<string, unknown>
    & { role?: unknown; content?: unknown; name?: unknown; tool_call_id?: unknown };
  const role = typeof m.role === "string" ? m.role : "unknown";
  const { role: _r, content, name, tool_call_id, tool_calls, ...rest } = m;
  const text = messageText(content);
  return (
    <li class="call-msg" data-role={ROLES.has(role) ? role : "other"}>
      <div class="call-msg-head">
        <span class="role">{role}</span>
        {typeof name === "string" ? <span class="mono">{name}</span> : null}
        {typeof tool_call_id === "string"
          ? (
            <span class="muted">
              result of <code>{tool_call_id}</code>
            </span>
          )
          : null}
      </div>
      {text !== null ? <pre class="call-text">{text}</pre> : null}
      {Array.isArray(tool_calls) && tool_calls.length
        ? (
          <>
            <div class="call-msg-sub">Tool calls</div>
            <pre class="json">{prettyJson(tool_calls.map(parsedArgs))}</pre>
          </>
        )
        : null}
      {Object.keys(rest).length ? <pre class="json">{prettyJson(rest)}</pre> : null}
      {text === null && !Array.isArray(tool_calls) && !Object.keys(rest).length
        ? <p class="empty-hint">(no content)</p>
        : null}
    </li>
  );
}

export function ToolDefinitionsPanel({ tools }: { tools: unknown[] | null }) {
  return (
    <section class="panel" aria-labelledby="h-tools">
      <h2 id="h-tools">Tool definitions{tools?.length ? ` · ${tools.length}` : ""}</h2>
      {tools?.length
        ? (
          <ul class="call-tools" id="call-tool-definitions">
            {tools.map((t, i) => <ToolDefinition key={i} tool={t} index={i} />)}
          </ul>
        )
        : <p class="empty-hint">No tools were offered in this call.</p>}
    </section>
  );
}

export function ToolDefinition({ tool, index }: { tool: unknown; index: number }) {
  const fn = (tool as { function?: { name?: unknown; description?: unknown } })?.function;
  return (
    <li>
      <details>
        <summary>
          <code>{typeof fn?.name === "string" ? fn.name : `tool ${index + 1}`}</code>
          {typeof fn?.description === "string" ? <span class="muted">{fn.description}</span> : null}
        </summary>
        <pre class="json">{prettyJson(tool)}</pre>
      </details>
    </li>
  );
}

export function messageText(content: unknown): string | null {
  if (content === null || content === undefined) return null;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((part) => {
      const p = part as { type?: unknown; text?: unknown };
      if (typeof p?.text === "string") return p.text;
      return `[${typeof p?.type === "string" ? p.type : "part"}]`;
    }).join("\n");
  }
  return prettyJson(content);
}
