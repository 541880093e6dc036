/**
 * The one place the program imports @modelcontextprotocol/sdk (the client side). Every import
 * carries a @ts-types directive because SDK 1.32.2's `"./*"` export maps `client/index.js` to the
 * types file `client/index.js.d.ts`, which does not exist: Deno then types the whole module as
 * `any`, silently (typescript-sdk issue #2701). The extensionless subpath finds the real types.
 */
// @ts-types="@modelcontextprotocol/sdk/client/index"
export { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
export { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
export {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from "@modelcontextprotocol/sdk/client/streamableHttp.js";
// @ts-types="@modelcontextprotocol/sdk/types"
export {
  ErrorCode,
  LoggingMessageNotificationSchema,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
// @ts-types="@modelcontextprotocol/sdk/types"
export type {
  CallToolResult,
  LoggingMessageNotification,
  Progress,
  Tool,
} from "@modelcontextprotocol/sdk/types.js";
