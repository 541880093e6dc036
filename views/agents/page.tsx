/**
 * The agents page: the team Glassbox runs — each agent with its model, tools (built-in, and each
 * MCP server's it gets now), sub-agents; the providers (no keys: only the variable a key comes
 * from); and each MCP server's state (connected, its tools, its last error). Plain data in,
 * escaped text out.
 */
import type { AgentOverview, ProviderOverview, TeamOverview } from "../../agents/team/overview.ts";
import type { McpServerState } from "../../agents/mcp/connection.ts";
import { type PageChrome, PageShell } from "../common/chrome.tsx";
import { formatAge } from "../common/format.ts";
import { renderDocument } from "../common/layout.tsx";

export interface AgentsPageProps extends PageChrome {
  overview: TeamOverview;
  now?: number;
}

export function AgentsPage(props: AgentsPageProps): string {
  const o = props.overview;
  const now = props.now ?? Date.now();
  return renderDocument(
    <PageShell {...props} title="Agents · Glassbox" current="agents">
      <h1>Agents</h1>
      <p class="team-source">
        Team <code>{o.status.source}</code>, version <code>{o.status.version}</code>, loaded{" "}
        {formatAge(o.status.loadedAt, now)}. Users can pick: {o.entry.join(", ")}.
      </p>
      <section aria-labelledby="h-agents">
        <h2 id="h-agents">Agents</h2>
        <ul class="agent-cards">
          {o.agents.map((a) => <AgentCard key={a.name} agent={a} demo={isDemo(o.providers, a)} />)}
        </ul>
      </section>
      <section aria-labelledby="h-mcp">
        <h2 id="h-mcp">MCP servers</h2>
        {o.mcpServers.length
          ? (
            <ul class="mcp-servers">
              {o.mcpServers.map((s) => <McpServerRow key={s.name} server={s} now={now} />)}
            </ul>
          )
          : <p class="muted">The team file names no MCP servers.</p>}
      </section>
      <section aria-labelledby="h-providers">
        <h2 id="h-providers">Providers</h2>
        <ul class="providers">
          {o.providers.map((p) => <ProviderRow key={p.name} provider={p} />)}
        </ul>
      </section>
    </PageShell>,
  );
}

const isDemo = (providers: ProviderOverview[], a: AgentOverview) =>
  providers.some((p) => p.name === a.provider && p.demo);

function AgentCard({ agent: a, demo }: { agent: AgentOverview; demo: boolean }) {
  return (
    <li class="panel agent-card" id={`agent-${a.name}`}>
      <h3>
        {a.title} <code class="agent-name">{a.name}</code>
        {a.entry ? <span class="badge badge-entry">entry</span> : null}
      </h3>
      <p>{a.description}</p>
      <dl class="facts">
        <div>
          <dt>Model</dt>
          <dd>
            <code class="agent-model">{a.provider}/{a.model}</code>
            {demo
              ? (
                <>
                  <span class="badge-demo">Demo model</span>
                </>
              )
              : null}
          </dd>
        </div>
        <div>
          <dt>Steps</dt>
          <dd>
            at most {a.maxSteps}
            {a.temperature === null ? "" : ` · temperature ${a.temperature}`}
          </dd>
        </div>
        <div>
          <dt>Tools</dt>
          <dd class="agent-tools">
            {a.tools.length === 0 && a.mcp.length === 0 ? "none" : null}
            {a.tools.map((t) => <code key={t} class="tool">{t}</code>)}
            {a.mcp.map((m) => (
              <span key={m.server} class="agent-mcp">
                <span class="node-server">{m.server}</span>
                <span class={`badge badge-mcp-${m.state}`}>{m.state}</span>
                {m.tools.length
                  ? m.tools.map((t) => <code key={t} class="tool">{t}</code>)
                  : (
                    <span class="muted">
                      {m.only ? `${m.only.join(", ")} (not listed yet)` : "no tools listed yet"}
                    </span>
                  )}
              </span>
            ))}
          </dd>
        </div>
        <div>
          <dt>Sub-agents</dt>
          <dd>
            {a.subAgents.length
              ? a.subAgents.map((s) => <a key={s} href={`#agent-${s}`}>{s}</a>)
              : "none"}
          </dd>
        </div>
      </dl>
    </li>
  );
}

function McpServerRow({ server: s, now }: { server: McpServerState; now: number }) {
  return (
    <li class="panel mcp-server" id={`mcp-${s.name}`}>
      <h3>
        <span class="node-server">{s.name}</span>{" "}
        <span class={`badge badge-mcp-${s.state}`}>{s.state}</span>{" "}
        <span class="muted">{s.transport === "stdio" ? "stdio" : "Streamable HTTP"}</span>
      </h3>
      <p>
        <code class="mcp-command">{s.display}</code>
      </p>
      <p>
        {s.tools.length} tools{s.tools.length ? ": " : ""}
        {s.tools.map((t) => <code key={t.name} class="tool" title={t.description}>{t.name}</code>)}
      </p>
      {s.connectedAt !== null
        ? <p class="muted">connected {formatAge(s.connectedAt, now)}</p>
        : null}
      {s.restarts ? <p class="muted">restarted {s.restarts} times</p> : null}
      {s.lastError
        ? (
          <p class="notice notice-error mcp-error">
            <strong>Last error:</strong> <span>{s.lastError}</span>
            {s.retryAt !== null
              ? (
                <span class="muted">
                  Next attempt in {Math.max(0, Math.ceil((s.retryAt - now) / 1000))} s.
                </span>
              )
              : null}
          </p>
        )
        : null}
    </li>
  );
}

function ProviderRow({ provider: p }: { provider: ProviderOverview }) {
  const priced = Object.entries(p.prices);
  return (
    <li class="panel provider" id={`provider-${p.name}`}>
      <h3>
        <code>{p.name}</code> {p.demo ? <span class="badge-demo">Demo model</span> : null}
      </h3>
      <p>
        <code>{p.demo ? "built in, offline" : p.baseUrl}</code> · key {p.apiKeyFrom
          ? (
            <>
              from <code>{p.apiKeyFrom}</code>
            </>
          )
          : "none"}
      </p>
      <p class="muted">
        {priced.length
          ? `Prices (USD per 1M tokens) for ${priced.length} models: ` + priced.map(([m, v]) =>
            `${m} ${v.input} in / ${v.output} out` +
            (v.cachedInput !== undefined ? ` / ${v.cachedInput} cached` : "") +
            (v.cacheWrite !== undefined ? ` / ${v.cacheWrite} cache write` : "") +
            (v.reasoning !== undefined ? ` / ${v.reasoning} reasoning` : "")
          ).join("; ")
          : "No prices: its calls' cost is unknown."}
      </p>
    </li>
  );
}
