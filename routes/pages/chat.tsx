/**
 * The chat UI: GET / and /c/:id render the page; POST /chat starts a run and answers with a
 * text/event-stream of HTML fragments (htmx swaps each unnamed message); GET /runs/:id/events
 * re-attaches a reloaded page; POST /runs/:id/cancel is the Stop button. Everything is the
 * viewer's own (an admin sees everyone's conversations); anyone else's is not found.
 */
import { type Context, Hono } from "hono";
import { conversationTitle } from "../../agents/runs/run_manager.ts";
import { clip } from "../../agents/spine/text.ts";
import { htmlEncoder, htmlStreamEnd } from "../../views/stream/html_encoder.tsx";
import { chatErrorFragments, chatStartFragments } from "../../views/stream/chat_start.tsx";
import { ChatPage, type TurnInput } from "../../views/chat/page.tsx";
import { foldRun } from "../../views/run/fold.ts";
import { listAgents } from "../../agents/runtime/agent_tree.ts";
import { PageShell } from "../../views/common/chrome.tsx";
import { renderDocument } from "../../views/common/layout.tsx";
import { getConversation, listConversations, listMessages } from "../../db/conversations.ts";
import { listEventsOfRuns } from "../../db/events.ts";
import { runsForConversation } from "../../db/runs.ts";
import { ownerScope } from "../../auth/viewer.ts";
import { runOwner, viewerOf } from "../access.ts";
import type { AppDeps } from "../deps.ts";
import { isUnstorableText, runStartRefusal, UNSTORABLE_MESSAGE } from "../errors.ts";
import { LIMITS, unstorable } from "../validate.ts";
import { getLogger } from "../../agents/logging/logging.ts";
import { UUID_RE } from "../../db/uuid.ts";
import {
  openRunStream,
  resumeAfter,
  runVisible,
  sseResponse,
  subscriberLabel,
} from "../run_stream.ts";
import { pageChrome } from "./chrome.ts";

const log = getLogger("chat");

export function pageRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const { sql } = deps.db;
  /** The header, and the agent picker with `agent` (the conversation's last) picked. */
  const common = (c: Context, agent?: string) => {
    const team = deps.teams.current();
    const picked = team.entry(agent) ?? team.entry()!;
    return {
      ...pageChrome(deps, c),
      agents: team.entries.map((a) => ({
        name: a.name,
        title: a.title,
        description: a.description,
      })),
      agent: picked.name,
      team: listAgents(picked).map((a) => ({
        name: a.name,
        title: a.title,
        status: "idle" as const,
        detail: null,
      })),
    };
  };

  app.get("/", async (c) => {
    const scope = ownerScope(viewerOf(c));
    const conversations = await listConversations(sql, { scope, limit: 50 });
    return c.html(ChatPage({ ...common(c), conversations }));
  });

  app.get("/c/:id", async (c) => {
    const id = c.req.param("id");
    const scope = ownerScope(viewerOf(c));
    const conversation = UUID_RE.test(id) ? await getConversation(sql, id, scope) : null;
    if (!conversation) return notFound(deps, c, "This conversation does not exist (any more).");
    const [conversations, messages, runs] = await Promise.all([
      listConversations(sql, { scope, limit: 50 }),
      listMessages(sql, id),
      runsForConversation(sql, id),
    ]);
    // Active runs replay from memory (their events may not all be stored yet).
    const stored = await listEventsOfRuns(
      sql,
      runs.map((r) => r.id).filter((r) => !deps.journals.get(r)),
    );
    const activeRunId = runs.find((r) => deps.runs.isActive(r.id) || deps.gateway.isLive(r.id))
      ?.id;
    const turns: TurnInput[] = messages.filter((m) => m.role === "user").map((m) => {
      const run = runs.find((r) => r.id === m.runId);
      const answer = messages.find((a) => a.role === "assistant" && a.runId === m.runId);
      if (!run) return { userMessage: m.content, assistantText: answer?.content };
      const events = deps.journals.get(run.id)?.events ?? stored.get(run.id) ?? [];
      return {
        userMessage: m.content,
        assistantText: answer?.content,
        run: { ...foldRun(events, { runId: run.id }), runId: run.id, status: run.status },
      };
    });
    return c.html(ChatPage({
      ...common(c, runs.at(-1)?.agent),
      conversations,
      current: { id, title: conversation.title, turns },
      activeRunId,
    }));
  });

  app.post("/chat", async (c) => {
    const form = await c.req.parseBody().catch(() => ({} as Record<string, unknown>));
    const typed = typeof form.message === "string" ? form.message : "";
    const message = typed.trim();
    const conversationId = typeof form.conversation_id === "string" && form.conversation_id
      ? form.conversation_id
      : undefined;
    const agent = typeof form.agent === "string" && form.agent ? form.agent : undefined;
    // The typed text goes back into the box (what cannot be stored shown as U+FFFD).
    const refuse = (why: string) =>
      sseResponse(streamOf(chatErrorFragments(why, typed.replace(/\0/g, "\uFFFD").toWellFormed())));
    if (!message) return refuse("Type a question first.");
    if (message.length > LIMITS.messageChars) {
      return refuse(`Keep it under ${LIMITS.messageChars} characters.`);
    }
    const bad = unstorable(message);
    if (bad) return refuse(`Your message ${bad}.`);
    if (conversationId && !UUID_RE.test(conversationId)) return refuse("Unknown conversation.");
    if (agent && (agent.length > LIMITS.agentChars || unstorable(agent))) {
      return refuse("Unknown agent.");
    }
    let handle;
    try {
      handle = await deps.runs.start({
        message,
        conversationId,
        agent,
        ...runOwner(viewerOf(c)),
      });
    } catch (err) {
      const refusal = runStartRefusal(err);
      if (refusal) return refuse(refusal.message);
      if (isUnstorableText(err)) return refuse(`Your message: ${UNSTORABLE_MESSAGE}.`);
      log.error("Could not start a run from the chat page: {error}", {
        error: String(err),
        stack: (err as Error)?.stack ?? null,
      });
      return refuse("Something went wrong on our side; it was logged. Try again.");
    }
    const preamble = chatStartFragments({
      runId: handle.runId,
      conversationId: handle.conversationId,
      userMessage: message,
      newConversation: conversationId ? undefined : {
        id: handle.conversationId,
        title: conversationTitle(message),
        preview: clip(message, 140),
        messageCount: 1,
        updatedAt: Date.now(),
      },
    });
    const label = subscriberLabel("sse_html", viewerOf(c).userId);
    const res = sseResponse(
      await openRunStream(deps, handle.runId, htmlEncoder, 0, { preamble, label }),
    );
    // A reload then opens this conversation and re-attaches to the run.
    res.headers.set("hx-replace-url", `/c/${handle.conversationId}`);
    return res;
  });

  app.get("/runs/:id/events", async (c) => {
    const id = c.req.param("id");
    const after = resumeAfter(c.req.header("last-event-id"), c.req.query("after"));
    if (!UUID_RE.test(id) || after === null) return c.text("bad run id or event id", 400);
    const viewer = viewerOf(c);
    if (!(await runVisible(deps, ownerScope(viewer), id))) return c.text("no such run", 404);
    return sseResponse(
      await openRunStream(deps, id, htmlEncoder, after, {
        epilogue: htmlStreamEnd(id),
        label: subscriberLabel("sse_html", viewer.userId),
      }),
    );
  });

  app.post("/runs/:id/cancel", async (c) => {
    const id = c.req.param("id");
    if (!UUID_RE.test(id) || !(await runVisible(deps, ownerScope(viewerOf(c)), id))) {
      return c.text("no such run", 404);
    }
    // Stopping a run that already ended is not an error for the button: nothing to do.
    // A gateway session's run is stopped by the gateway (its calls in flight, then the run).
    const stopped = deps.runs.cancel(id) || deps.gateway.cancel(id) !== null;
    return c.body(null, stopped ? 202 : 204);
  });

  return app;
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

function notFound(deps: AppDeps, c: Context, message: string) {
  return c.html(
    renderDocument(
      <PageShell {...pageChrome(deps, c)} title="Not found · Glassbox">
        <div class="calls-problem">
          <h1>Not found</h1>
          <p>{message}</p>
          <p>
            <a class="btn" href="/">Start a new chat</a>
          </p>
        </div>
      </PageShell>,
    ),
    404,
  );
}
