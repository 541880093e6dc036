/** A low-level MCP `Server` over stdio that pages its tool list two tools at a time. */
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  Server,
  StdioServerTransport,
  type Tool,
} from "./sdk_server.ts";

const PAGE = 2;
const tools: Tool[] = ["alpha", "beta", "gamma", "delta", "epsilon"].map((name) => ({
  name,
  description: `the ${name} tool`,
  inputSchema: { type: "object", properties: {} },
}));

const server = new Server({ name: "glassbox-paged", version: "0.0.1" }, {
  capabilities: { tools: {} },
});
server.setRequestHandler(ListToolsRequestSchema, (request) => {
  const start = Number(request.params?.cursor ?? 0);
  const end = start + PAGE;
  return {
    tools: tools.slice(start, end),
    nextCursor: end < tools.length ? String(end) : undefined,
  };
});
server.setRequestHandler(CallToolRequestSchema, (request) => ({
  content: [{ type: "text", text: `${request.params.name} ran` }],
}));
await server.connect(new StdioServerTransport());
