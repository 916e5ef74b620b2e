// `pnpm demo:client`: an MCP client over Streamable HTTP that lists the tools
// behind the gateway, calls each one and prints what comes back.
//   pnpm demo:client                 through the gateway at http://127.0.0.1:3000/mcp
//   pnpm demo:client --direct        straight to user-management-mcp, analytics-mcp and notification-mcp
import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

// pnpm hands a `--` on to the script (`pnpm demo:client -- --direct`), where it would end the options.
const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv[0] === "--" ? argv.slice(1) : argv,
  options: {
    direct: { type: "boolean", default: false },
    gateway: { type: "string", default: "http://127.0.0.1:3000/mcp" },
    key: { type: "string", default: process.env.DEMO_API_KEY ?? "demo-key" },
  },
});

const unique = `demo-${Date.now()}`;
/** The id the last send_notification answered: what get_notification reads. */
let notificationId = "00000000-0000-4000-8000-000000000000";
const sampleArguments: Record<
  string,
  (() => Record<string, unknown>) | Record<string, unknown> | undefined
> = {
  search_users: { query: "a", limit: 5 },
  get_user: { id: 1 },
  create_user: { name: "Demo User", email: `${unique}@example.com` },
  get_report: { metric: "active_users", days: 7 },
  list_metrics: undefined,
  send_notification: {
    channel: "email",
    to: "ada@example.com",
    subject: "Hello from the demo",
    body: "Sent once, however often it is retried with the same key.",
  },
  get_notification: () => ({ id: notificationId }),
  list_notifications: { limit: 5 },
};
/** Sent with send_notification: a retry with the same key answers with the same notification. */
const IDEMPOTENCY_KEY = { "mcp-prod/idempotency-key": `${unique}-notification` };

async function session(
  label: string,
  url: string,
  headers: Record<string, string>,
): Promise<number> {
  const client = new Client({ name: "mcp-prod-demo-client", version: "0.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }),
  );
  const { tools } = await client.listTools();
  console.log(`\n${label} (${url}): ${tools.length} tools`);
  let failures = 0;
  for (const tool of tools) {
    const base = tool.name.includes(".") ? tool.name.slice(tool.name.indexOf(".") + 1) : tool.name;
    const sample = sampleArguments[base];
    const args = typeof sample === "function" ? sample() : sample;
    const result = (await client.callTool({
      name: tool.name,
      ...(args ? { arguments: args } : {}),
      ...(base === "send_notification" ? { _meta: IDEMPOTENCY_KEY } : {}),
    })) as CallToolResult;
    const text = result.content
      .map((part) => (part.type === "text" ? part.text : `[${part.type}]`))
      .join(" ");
    const meta = result._meta ? ` _meta=${JSON.stringify(result._meta)}` : "";
    console.log(
      `  ${result.isError ? "✗" : "✓"} ${tool.name}(${args ? JSON.stringify(args) : ""}) → ${text.slice(0, 160)}${meta}`,
    );
    if (result.isError) failures += 1;
    else if (base === "send_notification") notificationId = (JSON.parse(text) as { id: string }).id;
  }
  await client.close();
  return failures;
}

let failures = 0;
if (values.direct) {
  failures += await session("user-management-mcp", "http://127.0.0.1:3001/mcp", {});
  failures += await session("analytics-mcp", "http://127.0.0.1:3002/mcp", {});
  failures += await session("notification-mcp", "http://127.0.0.1:3003/mcp", {});
} else {
  failures += await session("gateway", values.gateway, { authorization: `Bearer ${values.key}` });
}
console.log(failures === 0 ? "\nevery call succeeded" : `\n${failures} call(s) answered isError`);
process.exit(failures === 0 ? 0 : 1);
