/**
 * A remote AG-UI agent (team file `kind: agui`): Glassbox drives it with @ag-ui/client's
 * HttpAgent — the conversation as RunAgentInput, the run's id in `forwardedProps.glassbox` and
 * in an `X-Glassbox-Run` header (so calls it makes through the gateway join this run's tree) —
 * and relays every event it sends into the run's journal, where the page, the JSON and WebSocket
 * streams, the AG-UI endpoint, storage and resume take it as they take our own agents' events.
 *
 * Glassbox owns the run's frame: the remote's RUN_STARTED is not repeated and its RUN_FINISHED
 * ends the relay (the run then finishes as ours do); its RUN_ERROR, an HTTP error, or a stream
 * that ends without RUN_FINISHED fail the run with a message saying so. An event that fails
 * AG-UI's schema is reported in the run's log and not passed on. Stop aborts the HTTP request.
 */
import type { HttpAgent } from "@ag-ui/client";
import { type Message, type RunAgentInput } from "@ag-ui/core";
import { EventSchema } from "@ag-ui/core/schemas";
import { type AgUiEvent, EventType } from "../spine/events.ts";
import { getLogger } from "../logging/logging.ts";
import type { ChatMessage } from "../llm/types.ts";
import type { RunScope } from "../runtime/run_scope.ts";
import type { RemoteAgui } from "../runtime/types.ts";

const log = getLogger("remote");
export const RUN_HEADER = "x-glassbox-run";

/** Events Glassbox emits itself around a remote's: not relayed. */
const FRAME = new Set<string>([EventType.RUN_STARTED, EventType.RUN_FINISHED, EventType.RUN_ERROR]);

/**
 * Runs the remote agent to its end; resolves with its answer text (its top-level messages).
 * @ag-ui/client is loaded on the first remote run: a team without one never pays its memory.
 */
export async function runRemoteAgent(
  name: string,
  remote: RemoteAgui,
  history: ChatMessage[],
  scope: RunScope,
): Promise<string> {
  const { HttpAgent, parseSSEStream, runHttpRequest } = await import("@ag-ui/client");
  const { runId, conversationId } = scope.ids;
  const headers = Object.fromEntries(
    Object.entries(remote.headers).map(([k, v]) => [k, v.reveal()]),
  );
  const agent = new HttpAgent({ url: remote.url, headers: { ...headers, [RUN_HEADER]: runId } });
  const input: RunAgentInput = {
    threadId: conversationId,
    runId,
    messages: aguiMessages(history),
    tools: [],
    context: [],
    state: {},
    forwardedProps: { glassbox: { runId, conversationId, agent: name } },
  };
  const where = `remote agent ${name} (${remote.url})`;
  return await new Promise<string>((resolve, reject) => {
    let answer = "";
    let finished = false;
    const answerIds = new Set<string>();
    const stop = () => agent.abortController.abort();
    scope.signal.addEventListener("abort", stop, { once: true });
    const done = (err?: Error) => {
      scope.signal.removeEventListener("abort", stop);
      sub.unsubscribe();
      if (err) reject(err);
      else resolve(answer);
    };
    const events = parseSSEStream(
      runHttpRequest(() => agent.fetch(remote.url, requestInit(agent, input))),
    );
    const sub = events.subscribe({
      next: (raw: unknown) => {
        if (finished) return;
        const parsed = EventSchema.safeParse(raw);
        if (!parsed.success) {
          const type = (raw as { type?: unknown })?.type;
          log.warn("{where} sent an event that is not valid AG-UI ({type}): {problem}", {
            where,
            type: String(type),
            problem: parsed.error.issues.slice(0, 3).map((i: { message: string }) => i.message)
              .join("; "),
          });
          return;
        }
        const ev = parsed.data as AgUiEvent;
        if (ev.type === EventType.RUN_ERROR) {
          finished = true;
          return done(new Error(`${where} failed: ${ev.message}`));
        }
        if (ev.type === EventType.RUN_FINISHED) {
          finished = true;
          return done();
        }
        if (FRAME.has(ev.type)) return;
        if (ev.type === EventType.TEXT_MESSAGE_START && !ev.subagentRunId) {
          answerIds.add(ev.messageId);
        }
        if (ev.type === EventType.TEXT_MESSAGE_CONTENT && answerIds.has(ev.messageId)) {
          answer += ev.delta;
        }
        scope.emit(ev);
      },
      error: (err: unknown) => {
        if (finished) return;
        finished = true;
        if (scope.signal.aborted) return done(new Error("stopped"));
        const message = err instanceof Error ? err.message : String(err);
        done(new Error(`${where} failed: ${message}`));
      },
      complete: () => {
        if (finished) return;
        finished = true;
        done(
          scope.signal.aborted
            ? new Error("stopped")
            : new Error(`${where} closed its stream before the run finished`),
        );
      },
    });
  });
}

/** HttpAgent's own request (POST, JSON, accept SSE) for this input, abortable by Stop. */
function requestInit(agent: HttpAgent, input: RunAgentInput): RequestInit {
  // requestInit is protected: it is HttpAgent's definition of the request, reused as is.
  const init = (agent as unknown as { requestInit(i: RunAgentInput): RequestInit })
    .requestInit(input);
  return { ...init, signal: agent.abortController.signal };
}

/** The conversation so far as AG-UI messages (text only: the remote keeps its own tools). */
function aguiMessages(history: ChatMessage[]): Message[] {
  return history.flatMap((m, i): Message[] => {
    const content = typeof m.content === "string" ? m.content : "";
    if (m.role === "user") return [{ id: `m${i}`, role: "user", content }];
    if (m.role === "assistant" && content) return [{ id: `m${i}`, role: "assistant", content }];
    return [];
  });
}
