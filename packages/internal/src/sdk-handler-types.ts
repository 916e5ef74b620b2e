/**
 * Tool handler types for each MCP SDK generation, written structurally so that
 * no published declaration imports the SDK (an optional peer dependency). A
 * handler built once, outside `registerTool`, has no `inputSchema` to take its
 * types from; naming one of these gives it its arguments, its `extra` / `ctx`
 * and a result `registerTool` accepts:
 *
 * ```ts
 * const inputSchema = { city: z.string() };
 * const forecast = compose<ToolHandlerV1<typeof inputSchema>>(
 *   "forecast",
 *   async ({ city }, { signal }) => ({ content: [{ type: "text", text: await live(city, signal) }] }),
 *   withBreaker({ consecutiveFailures: 5 }),
 * );
 * server.registerTool("forecast", { inputSchema }, forecast);
 * ```
 */

/** What a Standard Schema (zod 4 and 3.24+, valibot, arktype) parses a value to. */
export type SchemaOutput<Schema> = Schema extends {
  readonly "~standard": { readonly types?: infer Types };
}
  ? NonNullable<Types> extends { readonly output: infer Output }
    ? Output
    : unknown
  : unknown;

/** The arguments of a tool whose SDK 1.x `inputSchema` is the raw shape `Shape` (`{ city: z.string() }`). */
export type ShapeArgs<Shape> = { [Key in keyof Shape]: SchemaOutput<Shape[Key]> };

/** `annotations` of a content block. */
export type ContentAnnotations = {
  audience?: Array<"user" | "assistant"> | undefined;
  priority?: number | undefined;
  lastModified?: string | undefined;
};

type BlockCommon = {
  annotations?: ContentAnnotations | undefined;
  _meta?: Record<string, unknown> | undefined;
};

/** One block of a tool result's `content`, as the MCP specification defines them. */
export type ToolContentBlock =
  | ({ type: "text"; text: string } & BlockCommon)
  | ({ type: "image"; data: string; mimeType: string } & BlockCommon)
  | ({ type: "audio"; data: string; mimeType: string } & BlockCommon)
  | ({
      type: "resource_link";
      uri: string;
      name: string;
      title?: string | undefined;
      description?: string | undefined;
      mimeType?: string | undefined;
      size?: number | undefined;
    } & BlockCommon)
  | ({
      type: "resource";
      resource:
        | {
            uri: string;
            mimeType?: string | undefined;
            text: string;
            _meta?: Record<string, unknown> | undefined;
          }
        | {
            uri: string;
            mimeType?: string | undefined;
            blob: string;
            _meta?: Record<string, unknown> | undefined;
          };
    } & BlockCommon);

/** What a tool handler returns, as `registerTool` on either SDK generation accepts it. */
export type ToolCallResult = {
  content: ToolContentBlock[];
  structuredContent?: Record<string, unknown> | undefined;
  isError?: boolean | undefined;
  _meta?: Record<string, unknown> | undefined;
};

/** A verified access token, as an HTTP transport with authentication passes it. */
export type ToolAuthInfo = {
  token: string;
  clientId: string;
  scopes: string[];
  expiresAt?: number | undefined;
  resource?: URL | undefined;
  extra?: Record<string, unknown> | undefined;
};

/** A JSON-RPC notification sent while a call runs (progress, logging). */
export type ToolNotification = { method: string; params?: Record<string, unknown> | undefined };

/**
 * What SDK 1.x passes a tool handler after its arguments (`RequestHandlerExtra`):
 * the fields a handler reads.
 */
export type ToolExtraV1 = {
  /** Aborted when the client cancels the call. */
  signal: AbortSignal;
  requestId: string | number;
  sessionId?: string | undefined;
  authInfo?: ToolAuthInfo | undefined;
  /** The request's `params._meta`: progress token, trace context. */
  _meta?: Record<string, unknown> | undefined;
  /** The HTTP request a call came in on (Streamable HTTP). */
  requestInfo?:
    | { headers: Record<string, string | string[] | undefined>; url?: URL | undefined }
    | undefined;
  /** Sends a notification tied to this call (progress, logging). */
  sendNotification(notification: ToolNotification): Promise<void>;
};

/**
 * What SDK 2.x (`@modelcontextprotocol/server`) passes a tool handler after its
 * arguments (`ServerContext`): the fields a handler reads.
 */
export type ToolContextV2 = {
  sessionId?: string | undefined;
  mcpReq: {
    id: string | number;
    method: string;
    /** Aborted when the client cancels the call. */
    signal: AbortSignal;
    _meta?: Record<string, unknown> | undefined;
    /** Sends a notification tied to this call (progress, logging). */
    notify(notification: ToolNotification): Promise<void>;
  };
  http?: { authInfo?: ToolAuthInfo | undefined; req?: Request | undefined } | undefined;
};

/**
 * A tool handler for SDK 1.x's `McpServer.registerTool` (`@modelcontextprotocol/sdk`):
 * `(args, extra)` for a tool whose `inputSchema` is the raw shape `Shape`, or
 * `(extra)` for a tool without one (`ToolHandlerV1`).
 *
 * @example
 * ```ts
 * const inputSchema = { city: z.string() };
 * const forecast = compose<ToolHandlerV1<typeof inputSchema>>("forecast", async ({ city }, { signal }) => …, withBreaker());
 * server.registerTool("forecast", { inputSchema }, forecast);
 * ```
 */
export type ToolHandlerV1<Shape = undefined> = [Shape] extends [undefined]
  ? (extra: ToolExtraV1) => ToolCallResult | Promise<ToolCallResult>
  : (args: ShapeArgs<Shape>, extra: ToolExtraV1) => ToolCallResult | Promise<ToolCallResult>;

/**
 * A tool handler for SDK 2.x's `McpServer.registerTool` (`@modelcontextprotocol/server`):
 * `(args, ctx)` for a tool whose `inputSchema` is the schema `Schema`
 * (`z.object({ city: z.string() })`), or `(ctx)` for a tool without one.
 *
 * @example
 * ```ts
 * const inputSchema = z.object({ city: z.string() });
 * const forecast = compose<ToolHandlerV2<typeof inputSchema>>("forecast", async ({ city }, ctx) => …, withBreaker());
 * server.registerTool("forecast", { inputSchema }, forecast);
 * ```
 */
export type ToolHandlerV2<Schema = undefined> = [Schema] extends [undefined]
  ? (ctx: ToolContextV2) => ToolCallResult | Promise<ToolCallResult>
  : (args: SchemaOutput<Schema>, ctx: ToolContextV2) => ToolCallResult | Promise<ToolCallResult>;
