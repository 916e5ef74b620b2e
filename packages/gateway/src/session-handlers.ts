import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type ServerCapabilities,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { Backend } from "./backend.ts";
import { exposedUri, type Route } from "./routes.ts";
import type { Extra, Session, SessionHost } from "./session.ts";

/**
 * Answers the client-facing requests of one session: the merged lists, and
 * each call, read, prompt and completion forwarded to the backend that owns
 * the name, for the capabilities the gateway declares.
 */
export function registerSessionHandlers(
  session: Session,
  host: SessionHost,
  capabilities: ServerCapabilities,
): void {
  const server = session.server;
  const visible = <T>(map: Map<string, Route<T>>) =>
    [...map].filter(([name, route]) => host.allowed(session.caller, name, route.backend));
  const noCursor = (params: { cursor?: unknown } | undefined) => {
    // Lists are merged whole, so the gateway never hands out a cursor.
    if (params?.cursor !== undefined) throw new McpError(ErrorCode.InvalidParams, "Unknown cursor");
  };
  const guarded = (
    backend: Backend,
    method: string,
    params: Record<string, unknown>,
    extra: Extra,
  ) =>
    host.guard(backend, extra.signal, (signal) =>
      session.forward(backend, method, params, extra, signal),
    );

  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    noCursor(request.params);
    return {
      tools: visible(host.routes().tools).map(([name, route]) => ({ ...route.item, name })),
    };
  });
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const name = request.params.name;
    const route = host.routes().tools.get(name);
    if (!route || !host.allowed(session.caller, name, route.backend))
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    return host.callTool(session, route, name, { ...request.params, name: route.name }, extra);
  });

  if (capabilities.prompts) {
    server.setRequestHandler(ListPromptsRequestSchema, async (request) => {
      noCursor(request.params);
      return {
        prompts: visible(host.routes().prompts).map(([name, route]) => ({ ...route.item, name })),
      };
    });
    server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
      const route = host.routes().prompts.get(request.params.name);
      if (!route || !host.allowed(session.caller, request.params.name, route.backend))
        throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${request.params.name}`);
      return (await host.tracing.prompt(request.params.name, extra, () =>
        guarded(route.backend, "prompts/get", { ...request.params, name: route.name }, extra),
      )) as never;
    });
  }

  if (capabilities.resources) {
    const owner = (uri: string) => {
      const found = host.routes().resource(uri);
      if (!found || !host.allowed(session.caller, uri, found.backend))
        throw new McpError(ErrorCode.InvalidParams, `Unknown resource: ${uri}`, { uri });
      return found;
    };
    server.setRequestHandler(ListResourcesRequestSchema, async (request) => {
      noCursor(request.params);
      return {
        resources: visible(host.routes().resources).map(([uri, route]) => ({
          ...route.item,
          uri,
        })),
      };
    });
    server.setRequestHandler(ListResourceTemplatesRequestSchema, async (request) => {
      noCursor(request.params);
      return {
        resourceTemplates: visible(host.routes().templates).map(([uriTemplate, route]) => ({
          ...route.item,
          uriTemplate,
        })),
      };
    });
    server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
      const { backend, uri } = owner(request.params.uri);
      const result = (await host.tracing.resource(request.params.uri, extra, () =>
        guarded(backend, "resources/read", { ...request.params, uri }, extra),
      )) as {
        contents?: Array<{ uri: string }>;
      };
      return {
        ...result,
        contents: (result.contents ?? []).map((content) => ({
          ...content,
          uri: exposedUri(backend, content.uri),
        })),
      } as never;
    });
    if (capabilities.resources.subscribe) {
      for (const [schema, method] of [
        [SubscribeRequestSchema, "resources/subscribe"],
        [UnsubscribeRequestSchema, "resources/unsubscribe"],
      ] as const) {
        server.setRequestHandler(schema, async (request, extra) => {
          const { backend, uri } = owner(request.params.uri);
          return (await guarded(backend, method, { ...request.params, uri }, extra)) as never;
        });
      }
    }
  }

  if (capabilities.completions) {
    server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
      const ref = request.params.ref;
      const routes = host.routes();
      const route =
        ref.type === "ref/prompt"
          ? routes.prompts.get(ref.name)
          : routes.templates.get((ref as { uri: string }).uri);
      const label = ref.type === "ref/prompt" ? ref.name : (ref as { uri: string }).uri;
      if (!route || !host.allowed(session.caller, label, route.backend))
        throw new McpError(ErrorCode.InvalidParams, `Unknown completion reference: ${label}`);
      const backendRef =
        ref.type === "ref/prompt" ? { ...ref, name: route.name } : { ...ref, uri: route.name };
      return (await guarded(
        route.backend,
        "completion/complete",
        { ...request.params, ref: backendRef },
        extra,
      )) as never;
    });
  }

  if (capabilities.logging) {
    server.setRequestHandler(SetLevelRequestSchema, async (request, extra) => {
      // The level applies to this client's sessions with every backend that logs.
      const targets = host.backends.filter(
        (backend) => backend.capabilities?.logging && backend.state === "up",
      );
      const outcomes = await Promise.allSettled(
        targets.map((backend) =>
          guarded(backend, "logging/setLevel", { ...request.params }, extra),
        ),
      );
      const failed = outcomes.find((outcome) => outcome.status === "rejected");
      if (failed && outcomes.every((outcome) => outcome.status === "rejected")) throw failed.reason;
      return {};
    });
  }
}
