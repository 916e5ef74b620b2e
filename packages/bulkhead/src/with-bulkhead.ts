import {
  assertFunction,
  assertKnownKeys,
  asToolHandler,
  callSite,
  callToolHandler,
  defineWrapper,
  readToolCall,
  type ToolHandler,
  type ToolPolicy,
  type ToolResult,
  textResult,
  warnIfRebuilt,
  withResultMeta,
} from "@mcp-prod/internal";
import { Bulkhead } from "./bulkhead.ts";
import { BulkheadQueueTimeoutError, BulkheadRejectedError } from "./errors.ts";
import {
  BULKHEAD_FOREIGN_KEYS,
  type BulkheadOptions,
  SHARED_BULKHEAD_KEYS,
  type SharedBulkheadOptions,
  type WithBulkheadOptions,
} from "./options.ts";
import { obtainBulkhead } from "./registry.ts";

/** The `_meta` key under which a tool refused by its bulkhead is marked. */
export const BULKHEAD_META_KEY = "mcp-prod/bulkhead";

/** The text of the result a tool answers when its bulkhead refuses the call. */
export const BULKHEAD_BUSY_MESSAGE = "Server busy, try again shortly";

/**
 * The value `withBulkhead` puts under {@link BULKHEAD_META_KEY} when it
 * refuses a call: `reason` is `"full"` when every slot and queue place was
 * taken, `"queueTimeout"` when the call waited `queueTimeoutMs` in the queue.
 */
export type BulkheadMeta = {
  readonly rejected: true;
  readonly reason: "full" | "queueTimeout";
  readonly active: number;
  readonly queued: number;
};

function isShared(options: unknown): options is SharedBulkheadOptions {
  return typeof options === "object" && options !== null && "bulkhead" in options;
}

/**
 * The handler form of {@link withBulkhead}: wraps `handler` in its own
 * bulkhead (named `toolName` unless the options name it) or the shared one.
 */
export function wrapWithBulkhead<H extends ToolHandler>(
  handler: H,
  options: WithBulkheadOptions,
  toolName?: string,
  /** Where the public `withBulkhead` was called from, to recognise a bulkhead built per request. */
  site: string | undefined = callingSite,
): H {
  return wrapInBulkhead(handler, toBulkhead(options, toolName, site));
}

/**
 * The bulkhead the options stand for: a shared one, or one made from inline
 * options. Named (by `compose` or `name`), that is the process's one bulkhead
 * of the name, found again when a server factory runs per request; unnamed, it
 * is the handler's own, and the same line building a second one is warned
 * about once. With `register` false the options are only checked.
 */
function toBulkhead(
  options: unknown,
  toolName: string | undefined,
  site: string | undefined,
  register = true,
): Bulkhead {
  if (isShared(options)) {
    assertKnownKeys(options, SHARED_BULKHEAD_KEYS, "withBulkhead()", BULKHEAD_FOREIGN_KEYS);
    if (typeof (options.bulkhead as { execute?: unknown } | null)?.execute !== "function")
      throw new TypeError("Expected `bulkhead` to be a bulkhead from createBulkhead()");
    return options.bulkhead;
  }
  const bulkheadOptions = options as BulkheadOptions;
  const named =
    toolName !== undefined && bulkheadOptions?.name === undefined
      ? { ...bulkheadOptions, name: toolName }
      : bulkheadOptions;
  // The constructor checks every option, before the registry is asked.
  const made = new Bulkhead(named);
  if (!register) return made;
  const name = named?.name;
  if (name !== undefined)
    return obtainBulkhead(
      name,
      named,
      () => made,
      toolName === undefined ? "withBulkhead()" : `compose("${toolName}")`,
    );
  warnIfRebuilt(
    "MCP_PROD_INLINE_BULKHEAD",
    site,
    `withBulkhead() at ${site} made a second bulkhead from inline options: a server built per request gets a new, empty bulkhead each time, which limits nothing. Give it a \`name\` (compose gives it the tool's), so that every request finds the same one in bulkheadRegistry, or create one with createBulkhead() outside the factory and pass it as \`bulkhead\`.`,
  );
  return made;
}

function wrapInBulkhead<H extends ToolHandler>(handler: H, bulkhead: Bulkhead): H {
  assertFunction(handler, "handler");
  const refused = (error: unknown) => busyResult(error, bulkhead);
  const wrapped = (...params: unknown[]): Promise<ToolResult> => {
    const { signal } = readToolCall(params);
    return bulkhead.execute(() => callToolHandler(handler, params), { signal }).catch(refused);
  };
  return asToolHandler<H>(wrapped);
}

function busyResult(error: unknown, bulkhead: Bulkhead): ToolResult {
  let reason: BulkheadMeta["reason"];
  if (BulkheadRejectedError.isInstance(error)) reason = "full";
  else if (BulkheadQueueTimeoutError.isInstance(error)) reason = "queueTimeout";
  else throw error;
  const { active, queued } = bulkhead.stats();
  const meta: BulkheadMeta = { rejected: true, reason, active, queued };
  return withResultMeta(textResult(BULKHEAD_BUSY_MESSAGE, true), BULKHEAD_META_KEY, meta);
}

const dispatch = defineWrapper({
  kind: "bulkhead",
  wrap: wrapWithBulkhead,
  policy: (options: WithBulkheadOptions) => {
    // Checked now, so a wrong option fails where the policy is written.
    const shared = toBulkhead(options, undefined, undefined, false);
    return isShared(options)
      ? (handler) => wrapInBulkhead(handler, shared)
      : (handler, { name }) => wrapWithBulkhead(handler, options, name, undefined);
  },
});

/** The caller's line while `withBulkhead` runs, to recognise a bulkhead built again per request. */
let callingSite: string | undefined;

/**
 * Wraps a tool handler in a bulkhead: at most `limit` calls of it run at
 * once, up to `queue` wait, and beyond that the tool answers at once with
 * `isError` "Server busy, try again shortly", marked
 * `_meta["mcp-prod/bulkhead"] = { rejected: true, reason, active, queued }`
 * (see {@link BulkheadMeta}). A client that cancels while queued leaves the
 * queue at once. Returns a handler of the same type, for both SDK
 * generations.
 *
 * @example
 * ```ts
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
 * import { withBulkhead } from "@mcp-prod/bulkhead";
 * import { z } from "zod";
 *
 * const server = new McpServer({ name: "reports", version: "1.0.0" });
 * server.registerTool(
 *   "render_report",
 *   { inputSchema: { id: z.string() } },
 *   withBulkhead(
 *     async ({ id }, { signal }) => ({ content: [{ type: "text", text: await renderReport(id, signal) }] }),
 *     { limit: 4, queue: 10, queueTimeoutMs: 2000 },
 *   ),
 * );
 * ```
 */
export function withBulkhead<H extends ToolHandler>(handler: H, options: WithBulkheadOptions): H;
/**
 * The bulkhead as a policy for `compose(name, handler, ...policies)`: a
 * bulkhead of the tool's own, named after the tool, or a shared one. Its
 * place in the order is inside the breaker (load shed is not counted as the
 * upstream failing) and outside the timeout (the clock starts once a slot is
 * held).
 *
 * @example
 * ```ts
 * import { compose, withBulkhead } from "@mcp-prod/bulkhead";
 *
 * server.registerTool("render_report", config, compose("render_report", handler, withBulkhead({ limit: 4 })));
 * ```
 */
export function withBulkhead<H extends ToolHandler = ToolHandler>(
  options: WithBulkheadOptions,
): ToolPolicy<H>;
export function withBulkhead(...params: unknown[]): unknown {
  callingSite = callSite();
  try {
    return dispatch(params);
  } finally {
    callingSite = undefined;
  }
}
