/**
 * The fault server over Streamable HTTP on Deno.serve, with the SDK's web-standard transport and
 * one session per initialize. Listens on 127.0.0.1:0 and prints `LISTENING <url>` on stdout; with
 * FAULTS_TOKEN set every request needs `Authorization: Bearer <token>`. Exits when stdin closes,
 * so it never outlives the test that started it.
 */
import { isInitializeRequest, WebStandardStreamableHTTPServerTransport } from "./sdk_server.ts";
import { buildFaultServer, recordCancellations } from "./fault_tools.ts";

const token = Deno.env.get("FAULTS_TOKEN");
const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();

async function handle(req: Request): Promise<Response> {
  if (new URL(req.url).pathname !== "/mcp") return new Response("not found", { status: 404 });
  if (token && req.headers.get("authorization") !== `Bearer ${token}`) {
    return new Response(`unauthorized: ${req.headers.get("authorization")}`, { status: 401 });
  }
  const sessionId = req.headers.get("mcp-session-id");
  const known = sessionId ? sessions.get(sessionId) : undefined;
  if (known) return known.handleRequest(req);
  if (sessionId) return new Response("unknown session", { status: 404 });
  // Only an initialize POST opens a session; its body can be read once, so pass it on parsed.
  const body = req.method === "POST" ? await req.json().catch(() => undefined) : undefined;
  if (!isInitializeRequest(body)) return new Response("initialize first", { status: 400 });
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: () => crypto.randomUUID(),
    onsessioninitialized: (id) => void sessions.set(id, transport),
    onsessionclosed: (id) => void sessions.delete(id),
  });
  await buildFaultServer().connect(transport);
  recordCancellations(transport);
  return transport.handleRequest(req, { parsedBody: body });
}

Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ hostname, port }) => console.log(`LISTENING http://${hostname}:${port}/mcp`),
}, handle);

for await (const _ of Deno.stdin.readable) { /* until the parent closes stdin */ }
// At once: a graceful shutdown would wait for clients' open streams.
Deno.exit(0);
