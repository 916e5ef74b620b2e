import type { ToolHandler, ToolResult } from "@mcp-prod/internal";

/**
 * A Standard Schema (zod ≥ 3.24, valibot, arktype): the tool's `outputSchema`,
 * used to check what a fallback returns, at build time, at run time and in
 * the types of a fixed fallback result.
 */
export type OutputSchema<Output = unknown> = {
  readonly "~standard": {
    readonly validate: (
      value: unknown,
    ) =>
      | { readonly issues?: ReadonlyArray<{ readonly message: string }> | undefined }
      | PromiseLike<{ readonly issues?: ReadonlyArray<{ readonly message: string }> | undefined }>;
    readonly types?: { readonly output: Output } | undefined;
  };
};

/** The value type an {@link OutputSchema} accepts. */
export type OutputOf<Schema> = Schema extends OutputSchema<infer Output> ? Output : unknown;

/** Who a content block is for, and how much it matters (MCP's `Annotations`). */
export type ContentAnnotations = {
  readonly audience?: ReadonlyArray<"user" | "assistant">;
  readonly priority?: number;
  readonly lastModified?: string;
};

type BlockExtras = {
  readonly annotations?: ContentAnnotations;
  readonly _meta?: Record<string, unknown>;
};

/**
 * One block of a tool result's `content`, as the MCP specification defines
 * it (the SDK's `ContentBlock`): a typo such as `{ type: "txt" }` fails to
 * compile instead of reaching a client as `Invalid tools/call result` during
 * the outage the fallback is for.
 *
 * @example
 * ```ts
 * const unavailable: ContentBlock = { type: "text", text: "Forecast temporarily unavailable" };
 * ```
 */
export type ContentBlock =
  | (BlockExtras & { readonly type: "text"; readonly text: string })
  | (BlockExtras & { readonly type: "image"; readonly data: string; readonly mimeType: string })
  | (BlockExtras & { readonly type: "audio"; readonly data: string; readonly mimeType: string })
  | (BlockExtras & {
      readonly type: "resource_link";
      readonly uri: string;
      readonly name: string;
      readonly title?: string;
      readonly description?: string;
      readonly mimeType?: string;
      readonly size?: number;
    })
  | (BlockExtras & {
      readonly type: "resource";
      readonly resource:
        | { readonly uri: string; readonly mimeType?: string; readonly text: string }
        | { readonly uri: string; readonly mimeType?: string; readonly blob: string };
    });

/**
 * A fixed fallback result: the SDK's `CallToolResult`, its content blocks
 * checked by the compiler.
 *
 * @example
 * ```ts
 * const degraded: FixedToolResult = { content: [{ type: "text", text: "Try again later" }], isError: true };
 * ```
 */
export type FixedToolResult = {
  readonly content: ReadonlyArray<ContentBlock>;
  readonly structuredContent?: Record<string, unknown>;
  readonly isError?: boolean;
  readonly _meta?: Record<string, unknown>;
};

/**
 * A fallback for handler `H`: a handler taking the same parameters, or a fixed
 * result. With an `outputSchema`, a fixed result must be an `isError` result
 * or carry `structuredContent` of the schema's type.
 */
export type ToolFallback<
  H extends ToolHandler,
  Schema extends OutputSchema | undefined = undefined,
> =
  | ((...params: Parameters<H>) => ToolResult | Promise<ToolResult>)
  | (Schema extends OutputSchema
      ?
          | (FixedToolResult & { readonly isError: true })
          | (Omit<FixedToolResult, "structuredContent"> & {
              readonly structuredContent: OutputOf<Schema>;
            })
      : FixedToolResult);
