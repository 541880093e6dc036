/** Side panels: the team's status and the live log tail. */
import type { AgentState } from "../../agents/spine/events.ts";
import { formatClock } from "../common/format.ts";
import { ids, LOG_LIMIT } from "../run/dom_ids.ts";
import type { AgentRowView, LogView } from "../run/run_view.ts";

export function AgentStatusPanel({ agents }: { agents: AgentRowView[] }) {
  return (
    <ul class="agents" id={ids.agents}>
      {agents.length
        ? agents.map((a) => <AgentStatusRow key={a.name} agent={a} />)
        : <li class="empty-hint">The team appears when a run starts.</li>}
    </ul>
  );
}

export function AgentStatusRow({ agent }: { agent: AgentRowView }) {
  return (
    <li class="agent-row" id={ids.agentRow(agent.name)}>
      <span class="agent-who">
        <span class="agent-title">{agent.title}</span>
        <span class="agent-name">{agent.name}</span>
      </span>
      <AgentRowState name={agent.name} status={agent.status} detail={agent.detail} />
    </li>
  );
}

/** The part of a row that glassbox.agent_status replaces (the event has no title). */
export function AgentRowState(props: { name: string; status: AgentState; detail: string | null }) {
  return (
    <span class="agent-state" id={ids.agentRowState(props.name)}>
      <span class={`badge badge-${props.status}`}>{props.status}</span>
      {props.detail ? <span class="agent-detail" title={props.detail}>{props.detail}</span> : null}
    </span>
  );
}

/**
 * The log tail keeps the last LOG_LIMIT rows in the DOM: rows arrive by `beforeend` appends, and
 * static/app.js drops the oldest after each swap (it reads the limit from data-keep). Without JS
 * the CSS rule `.log > li:nth-last-child(n+201)` hides them instead.
 */
export function LogList({ logs }: { logs: LogView[] }) {
  return (
    <ol class="log" id={ids.logList} data-keep={String(LOG_LIMIT)}>
      {logs.map((l, i) => <LogRow key={i} log={l} />)}
    </ol>
  );
}

const LEVELS = new Set(["trace", "debug", "info", "warning", "error", "fatal"]);

export function LogRow({ log }: { log: LogView }) {
  const level = LEVELS.has(log.level) ? log.level : "info";
  const t = formatClock(log.timestamp);
  return (
    <li class={`log-row level-${level}`}>
      <time datetime={t.iso} title={`${t.iso} · ${log.category}`}>{t.text}</time>
      <span class="log-level">{level === "warning" ? "warn" : level}</span>
      <span class="log-agent">{log.agent ?? log.category}</span>
      <span class="log-msg">{log.message}</span>
    </li>
  );
}
