/**
 * The chat page: conversations | conversation + composer | live run panels. A past or reloaded
 * run renders from its folded events exactly as the live stream left it; with `activeRunId` the
 * page re-attaches to the run's event stream and carries on live.
 */
import { ids } from "../run/dom_ids.ts";
import * as F from "./fragments.tsx";
import { ModelBadge } from "../common/badges.tsx";
import { type PageChrome, TeamBanner, TopNav, WhoAmI } from "../common/chrome.tsx";
import { Layout, renderDocument } from "../common/layout.tsx";
import type { AgentRowView, RunView } from "../run/run_view.ts";
import { type ConversationItemView, ConversationList } from "./sidebar.tsx";
import { settle, type TurnInput, TurnView } from "./transcript.tsx";

export type { TurnInput } from "./transcript.tsx";

export interface ChatPageProps extends PageChrome {
  conversations: ConversationItemView[];
  current?: { id: string; title: string; turns: TurnInput[] };
  activeRunId?: string;
  /** The agents users may pick (the team's entry agents); the picker shows when there are two. */
  agents?: { name: string; title: string; description: string }[];
  /** The one picked: the conversation's last, or the default. */
  agent?: string;
  /** The picked agent's team, shown idle in the agents panel before a run. */
  team?: AgentRowView[];
  /** For "5 min ago" labels; defaults to now. */
  now?: number;
}

/** The whole document, `<!DOCTYPE html>` included: `c.html(ChatPage(props))`. */
export function ChatPage(props: ChatPageProps): string {
  return renderDocument(<ChatDocument {...props} />);
}

export function ChatDocument(props: ChatPageProps) {
  const turns = props.current?.turns ?? [];
  const last = turns.findLast((t) => t.run)?.run;
  const panelRun: RunView | undefined = last
    ? settle(last, last.runId === props.activeRunId)
    : undefined;
  const live = props.activeRunId !== undefined && panelRun?.runId === props.activeRunId;
  const title = props.current?.title || "New chat";
  return (
    <Layout title={`${title} · Glassbox`} assetVersion={props.assetVersion} warning={props.warning}>
      <a class="skip-link" href="#message">Skip to the message box</a>
      <div class="app">
        <header class="topbar">
          <a class="brand" href="/">
            <span class="brand-mark" aria-hidden="true"></span>Glassbox
          </a>
          <TopNav current="chat" viewer={props.viewer} />
          <ModelBadge model={props.model} demo={props.demo} />
          <F.ConnectionIndicator state={live ? "connecting" : panelRun ? "ended" : "idle"} />
          <WhoAmI viewer={props.viewer} current="chat" />
        </header>
        <TeamBanner error={props.teamError} />

        <nav class="sidebar" aria-label="Conversations">
          <a class="btn btn-new" href="/">New chat</a>
          <h2 class="sidebar-title">Recent conversations</h2>
          <ConversationList
            conversations={props.conversations}
            currentId={props.current?.id}
            now={props.now}
          />
        </nav>

        <main class="chat" id="main">
          <F.ChatTitle title={title} />
          <F.BudgetBanner warning={panelRun?.budgetWarning ?? null} />
          <div class="transcript-scroll" tabindex={0} aria-label="Conversation">
            <div class="transcript" id={ids.transcript}>
              <div class="empty-state">
                <p class="empty-title">Ask a question and watch the agents work.</p>
                <p>
                  The orchestrator plans, asks its team, calls tools and streams the answer; the
                  panels show every step, LLM call, log line and token.
                </p>
              </div>
              {turns.map((t, i) => <TurnView key={i} turn={t} activeRunId={props.activeRunId} />)}
            </div>
          </div>
          {/* static/app.js: Enter sends, the box clears on send. */}
          <form class="composer" id="chat-form" hx-post="/chat" hx-swap="none">
            <label class="visually-hidden" for="message">Your question</label>
            <F.MessageBox />
            <F.ConversationIdInput conversationId={props.current?.id ?? ""} />
            <AgentPicker agents={props.agents ?? []} selected={props.agent} />
            <F.ComposerControls runId={live ? props.activeRunId! : null} />
          </form>
          {live
            ? (
              <div
                id="run-stream"
                hidden
                hx-sse:connect={streamUrl(props.activeRunId!, panelRun!.lastEventId)}
                hx-sse:close="done"
                hx-swap="none"
              >
              </div>
            )
            : null}
        </main>

        <aside class="panels" aria-label="Run details">
          <Panels run={panelRun} team={props.team ?? []} />
        </aside>
      </div>
    </Layout>
  );
}

/** The stream continues after the last event the page already shows. */
function streamUrl(runId: string, lastEventId: number): string {
  const base = `/runs/${encodeURIComponent(runId)}/events`;
  return lastEventId > 0 ? `${base}?after=${lastEventId}` : base;
}

/** Which team answers: a plain select, sent with the form, kept per conversation. */
function AgentPicker(
  props: { agents: { name: string; title: string; description: string }[]; selected?: string },
) {
  if (props.agents.length < 2) return null;
  return (
    <div class="agent-picker">
      <label for="agent-select">Agent</label>
      <select id="agent-select" name="agent">
        {props.agents.map((a) => (
          <option
            key={a.name}
            value={a.name}
            selected={a.name === props.selected}
            title={a.description}
          >
            {a.title}
          </option>
        ))}
      </select>
    </div>
  );
}

function Panels({ run, team }: { run: RunView | undefined; team: AgentRowView[] }) {
  const state = run?.state ?? "pending";
  return (
    <>
      <section class="panel panel-progress" aria-labelledby="h-progress">
        <div class="panel-head">
          <h2 id="h-progress">Progress</h2>
          <F.RunStateBadge state={state} />
        </div>
        <F.ProgressBar progress={run?.progress ?? null} />
      </section>
      <section class="panel panel-agents" aria-labelledby="h-agents">
        <h2 id="h-agents">Agents</h2>
        <F.AgentStatusPanel agents={run?.agents ?? team} />
      </section>
      <section class="panel panel-tree" aria-labelledby="h-tree">
        <h2 id="h-tree">Execution tree</h2>
        <div class="tree-scroll" tabindex={0} aria-label="Execution tree">
          <F.RunTree root={run && run.state !== "pending" ? run.tree : null} />
        </div>
      </section>
      <section class="panel panel-log" aria-labelledby="h-log">
        <h2 id="h-log">Log</h2>
        <div class="log-scroll" tabindex={0} aria-label="Log tail">
          <F.LogList logs={run?.logs ?? []} />
        </div>
      </section>
      <section class="panel panel-usage" aria-labelledby="h-usage">
        <h2 id="h-usage">Usage</h2>
        <F.LiveCost cost={run?.cost ?? null} />
        <F.UsageSummary usage={run?.usage ?? null} state={state} />
      </section>
      <F.StatusLine text={run ? F.statusText(run) : ""} />
    </>
  );
}
