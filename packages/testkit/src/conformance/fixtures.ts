// The "everything" fixture: the tools, resources and prompts the MCP conformance suite's server
// scenarios call, registered on the SDK's real McpServer. Names, arguments and results follow
// the scenario descriptions of `@modelcontextprotocol/conformance`.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  type LoggingLevel,
  LoggingLevelSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { registerFixturePrompts, registerFixtureResources } from "./fixture-content.ts";
import { registerFixtureTools } from "./fixture-tools.ts";

export { PNG_1X1_BASE64, WATCHED_RESOURCE_URI, WAV_SILENCE_BASE64 } from "./fixture-content.ts";

const LEVELS = LoggingLevelSchema.options;

/** One client session's view of the fixture: what it subscribed to, its logging level. */
export type FixtureSession = {
  /** Resource URIs this session subscribed to (`resources/subscribe`). */
  readonly subscriptions: Set<string>;
  /** The level set with `logging/setLevel`; messages below it are not sent. */
  readonly logLevel: () => LoggingLevel | undefined;
};

/**
 * Builds an McpServer holding every fixture the conformance suite's server scenarios call
 * (one server per client session, as the SDK's Streamable HTTP transport expects).
 *
 * @example
 * const { server } = createEverythingMcpServer();
 * await server.connect(transport);
 */
export function createEverythingMcpServer(): { server: McpServer; session: FixtureSession } {
  const server = new McpServer(
    { name: "mcp-prod-everything-fixture", version: "1.0.0" },
    {
      capabilities: { logging: {}, resources: { subscribe: true, listChanged: true } },
      instructions:
        "Fixture server for the MCP conformance suite: every test_* tool, resource and prompt it calls.",
    },
  );
  const subscriptions = new Set<string>();
  let level: LoggingLevel | undefined;
  const session: FixtureSession = { subscriptions, logLevel: () => level };

  // Our own handler (replacing the SDK's) so tool handlers can filter the messages they send on
  // their own request's stream, where the client is sure to be listening.
  server.server.setRequestHandler(SetLevelRequestSchema, (request) => {
    level = request.params.level;
    return {};
  });
  const shouldLog = (messageLevel: LoggingLevel) =>
    level === undefined || LEVELS.indexOf(messageLevel) >= LEVELS.indexOf(level);

  server.server.setRequestHandler(SubscribeRequestSchema, (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });

  registerFixtureTools(server, shouldLog);
  registerFixtureResources(server);
  registerFixturePrompts(server);
  return { server, session };
}
