import type { ToolResult } from "@mcp-prod/internal";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpServer as McpServer2 } from "@modelcontextprotocol/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { connectInMemory, connectInMemory2, deferred } from "./in-memory.ts";

/** The arguments of the suite's tool. */
export type WeatherArgs = { readonly city: string; readonly days: number };

/** A tool result as the suite's handler returns it and the client receives it. */
export type WrappedToolResult = ToolResult;

/**
 * The handler the suite registers, `(args, extra)` on SDK 1.x and `(args, ctx)`
 * on 2.x. A `withX` wrapper returns the type it is given, so `wrap` can hand it
 * straight back.
 */
export type WrappedToolHandler = (
  args: WeatherArgs,
  extra: Record<string, unknown>,
) => Promise<WrappedToolResult>;

/** Options of {@link testToolWrapper}. */
export type ToolWrapperSuiteOptions<Context> = {
  /**
   * Builds what `wrap` shares across calls (a breaker, a cache, a limiter),
   * anew for each test, so one test's state never reaches the next.
   * @default () => undefined
   */
  readonly context?: () => Context | Promise<Context>;
  /** Disposes of a context after its test, once every client and server is closed. */
  readonly close?: (context: Context) => unknown;
  /** The `_meta` key the wrapper marks results with (`"mcp-prod/cache"`). */
  readonly metaKey?: string;
  /**
   * Where the wrapper documents its `metaKey`: on a successful result, on an
   * `isError` result. Elsewhere the key must be absent.
   * @default { success: false, errorResult: false }
   */
  readonly metaOn?: { readonly success?: boolean; readonly errorResult?: boolean };
  /**
   * Checks the answer to a handler's `isError` result when the wrapper
   * documents that it changes it (a fallback replaces it). Without it the
   * result must come back as `isError` with the handler's content.
   */
  readonly errorResult?: (result: WrappedToolResult) => void;
  /**
   * Whether `{ ...extra }` (SDK 1.x) keeps the request's `signal`. `_meta` is
   * always checked on a spread.
   * @default false
   */
  readonly spreadKeepsSignal?: boolean;
};

type CallOptions = {
  readonly signal?: AbortSignal;
  readonly onprogress?: (progress: { progress: number }) => void;
};

type Connection = {
  call(
    tool: string,
    args: WeatherArgs,
    meta: Record<string, unknown>,
    options: CallOptions,
  ): Promise<unknown>;
  close(): Promise<void>;
};

/** What a handler reads of its request, wherever each SDK generation puts it. */
type RequestView = {
  readonly meta: Record<string, unknown> | undefined;
  readonly requestId: unknown;
  readonly notify: (notification: {
    method: string;
    params: Record<string, unknown>;
  }) => Promise<void>;
  readonly signal: unknown;
};

type Generation = {
  readonly label: string;
  /** Registers the wrapped handler as `weather` and the bare one as `weather_unwrapped`. */
  open(wrapped: WrappedToolHandler, bare: WrappedToolHandler): Promise<Connection>;
  view(extra: Record<string, unknown>): RequestView;
  /** The names and value types of what the SDK hands a handler, the signal included. */
  shape(extra: Record<string, unknown>): string[];
};

const TOOL = "weather";
const BARE_TOOL = "weather_unwrapped";

function shapeOf(value: Record<string, unknown>, prefix = ""): string[] {
  const keys = new Set(Object.keys(value));
  // A wrapper may hand over the signal as a getter; it counts as long as it reads by name.
  if ("signal" in value) keys.add("signal");
  return [...keys].sort().map((key) => `${prefix}${key}: ${typeof value[key]}`);
}

const sdk1: Generation = {
  label: "SDK 1.x",
  async open(wrapped, bare) {
    const server = new McpServer({ name: "wrapper-conformance", version: "1.0.0" });
    const inputSchema = { city: z.string(), days: z.number() };
    server.registerTool(TOOL, { inputSchema }, wrapped as never);
    server.registerTool(BARE_TOOL, { inputSchema }, bare as never);
    const { client, close } = await connectInMemory(server);
    return {
      call: (tool, args, meta, options) =>
        client.callTool({ name: tool, arguments: args, _meta: meta }, undefined, options),
      close,
    };
  },
  view(extra) {
    const { _meta, requestId, sendNotification, signal } = extra as {
      _meta?: Record<string, unknown>;
      requestId?: unknown;
      sendNotification: RequestView["notify"];
      signal?: unknown;
    };
    return { meta: _meta, requestId, notify: sendNotification, signal };
  },
  shape: (extra) => shapeOf(extra),
};

const sdk2: Generation = {
  label: "SDK 2.x",
  async open(wrapped, bare) {
    const server = new McpServer2({ name: "wrapper-conformance", version: "2.0.0" });
    const inputSchema = z.object({ city: z.string(), days: z.number() });
    server.registerTool(TOOL, { inputSchema }, wrapped as never);
    server.registerTool(BARE_TOOL, { inputSchema }, bare as never);
    const { client, close } = await connectInMemory2(server);
    return {
      call: (tool, args, meta, options) =>
        client.callTool({ name: tool, arguments: args, _meta: meta }, options),
      close,
    };
  },
  view(extra) {
    const mcpReq = (extra as { mcpReq?: Record<string, unknown> }).mcpReq ?? {};
    return {
      meta: mcpReq._meta as Record<string, unknown> | undefined,
      requestId: mcpReq.id,
      notify: mcpReq.notify as RequestView["notify"],
      signal: mcpReq.signal,
    };
  },
  shape(extra) {
    const { mcpReq } = extra as { mcpReq?: Record<string, unknown> };
    return [...shapeOf(extra), ...(mcpReq === undefined ? [] : shapeOf(mcpReq, "mcpReq."))];
  },
};

/**
 * How the servers are laid out: one server for the whole test, or a new
 * `McpServer` (and client) per request, as a stateless HTTP server builds them.
 */
type Layout = "one shared server" | "a new server per request";

/** Active timers, not counting unref()'d ones: the ones that keep a process alive. */
function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
}

const CANCEL_WAIT_MS = 2000;

/** Fails at once, rather than at the test's timeout, when the handler is never told of a cancellation. */
async function withinCancelWait<T>(aborted: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `The handler's signal was not aborted within ${CANCEL_WAIT_MS} ms of the client's cancellation`,
          ),
        ),
      CANCEL_WAIT_MS,
    );
  });
  try {
    return await Promise.race([aborted, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Declares a vitest `describe` block that checks a tool-handler wrapper
 * against real MCP `Client`/`McpServer` pairs on both SDK generations, with one
 * shared server and with a new server per request: arguments and `extra` reach
 * the handler unchanged (the same fields as a bare handler on the same server
 * gets), results come back unchanged, client cancellation
 * aborts the handler's signal, `isError` results pass through, the wrapper's
 * `_meta` key appears only where documented, and no timer outlives the
 * closed servers.
 *
 * @example
 * ```ts
 * testToolWrapper("withBreaker", (handler, breaker) => withBreaker(handler, { breaker }), {
 *   context: () => createBreaker(async () => undefined),
 *   close: (breaker) => breaker.shutdown(),
 * });
 * ```
 */
export function testToolWrapper<Context = undefined>(
  name: string,
  wrap: (handler: WrappedToolHandler, context: Context) => WrappedToolHandler,
  options: ToolWrapperSuiteOptions<Context> = {},
): void {
  const { metaKey, metaOn = {}, spreadKeepsSignal = false } = options;

  describe(`${name} wrapper conformance`, () => {
    for (const generation of [sdk1, sdk2]) {
      for (const layout of ["one shared server", "a new server per request"] as Layout[]) {
        describe(`${generation.label}, ${layout}`, () => {
          defineChecks(generation, layout);
        });
      }
    }
  });

  function defineChecks(generation: Generation, layout: Layout): void {
    let context: Context;
    let behaviour: WrappedToolHandler;
    let shared: Connection | undefined;
    const connections: Connection[] = [];
    // A stable handler, so a server built per request registers the same one.
    const handler: WrappedToolHandler = (args, extra) => behaviour(args, extra);
    let city = 0;

    async function setUp(): Promise<void> {
      context = (await options.context?.()) as Context;
      shared = undefined;
    }

    async function tearDown(): Promise<void> {
      for (const connection of connections.splice(0)) await connection.close();
      await options.close?.(context);
    }

    beforeEach(setUp);
    afterEach(tearDown);

    async function connection(): Promise<Connection> {
      if (layout === "one shared server" && shared !== undefined) return shared;
      const opened = await generation.open(wrap(handler, context), handler);
      connections.push(opened);
      if (layout === "one shared server") shared = opened;
      return opened;
    }

    /** Calls the tool with fresh arguments, so a cache never answers one call with another's result. */
    async function call(
      behave: WrappedToolHandler,
      callOptions: CallOptions = {},
      meta: Record<string, unknown> = {},
      tool = TOOL,
    ): Promise<{ result: WrappedToolResult; args: WeatherArgs }> {
      behaviour = behave;
      const args = { city: `City ${++city}`, days: city };
      const client = await connection();
      const result = (await client.call(tool, args, meta, callOptions)) as WrappedToolResult;
      return { result, args };
    }

    function wrapperKeys(result: WrappedToolResult): string[] {
      return Object.keys(result._meta ?? {}).filter((key) => key.startsWith("mcp-prod/"));
    }

    function success(args: WeatherArgs): WrappedToolResult {
      return {
        content: [{ type: "text", text: `${args.city}: 21°C for ${args.days} days` }],
        structuredContent: { city: args.city, temperature: 21 },
        _meta: { "test/handler": "kept" },
      };
    }

    const failure: WrappedToolResult = {
      content: [{ type: "text", text: "quota exceeded" }],
      isError: true,
    };

    async function cancelled(): Promise<unknown> {
      const started = deferred();
      const aborted = deferred<unknown>();
      const controller = new AbortController();
      const pending = call(
        (_args, extra) => {
          const { signal } = generation.view(extra);
          started.resolve();
          return new Promise((_resolve, reject) => {
            const requestSignal = signal as AbortSignal;
            requestSignal.addEventListener("abort", () => {
              aborted.resolve(requestSignal.reason);
              reject(requestSignal.reason);
            });
          });
        },
        { signal: controller.signal },
      );
      await started.promise;
      controller.abort(new Error("the user pressed stop"));
      await expect(pending).rejects.toThrow();
      return withinCancelWait(aborted.promise);
    }

    it("hands the handler the arguments and extra unchanged", async () => {
      const seen: Array<{ args: unknown; view: RequestView; spread: RequestView }> = [];
      const progress: number[] = [];
      const { args, result } = await call(
        async (received, extra) => {
          const view = generation.view(extra);
          seen.push({ args: received, view, spread: generation.view({ ...extra }) });
          await view.notify({
            method: "notifications/progress",
            params: { progressToken: view.meta?.progressToken, progress: 1, total: 2 },
          });
          return success(received);
        },
        { onprogress: ({ progress: value }) => progress.push(value) },
        { "test/trace": "trace-7" },
      );
      expect(result.isError).toBeFalsy();
      expect(seen).toHaveLength(1);
      const [{ args: received, view, spread } = expect.unreachable()] = seen;
      expect(received).toEqual(args);
      expect(view.meta).toMatchObject({ "test/trace": "trace-7" });
      expect(view.meta?.progressToken).toBeDefined();
      expect(["string", "number"]).toContain(typeof view.requestId);
      expect(view.signal).toBeInstanceOf(AbortSignal);
      expect((view.signal as AbortSignal).aborted).toBe(false);
      expect(progress).toEqual([1]);
      expect(spread.meta).toEqual(view.meta);
      if (spreadKeepsSignal) expect(spread.signal).toBe(view.signal);
    });

    it("hands the handler an extra of the same shape as the bare handler gets", async () => {
      const shapes: string[][] = [];
      const record: WrappedToolHandler = async (received, extra) => {
        shapes.push(generation.shape(extra));
        return success(received);
      };
      await call(record, {}, { "test/trace": "trace-7" });
      await call(record, {}, { "test/trace": "trace-7" }, BARE_TOOL);
      expect(shapes).toHaveLength(2);
      expect(shapes[0]).toEqual(shapes[1]);
    });

    it("returns the handler's result unchanged", async () => {
      const { args, result } = await call(async (received) => success(received));
      const expected = success(args);
      expect(result.isError).toBeFalsy();
      expect(result.content).toEqual(expected.content);
      expect(result.structuredContent).toEqual(expected.structuredContent);
      expect(result._meta).toMatchObject({ "test/handler": "kept" });
    });

    it("aborts the handler's signal when the client cancels", async () => {
      const reason = await cancelled();
      expect(reason).toBeDefined();
    });

    it("passes an isError result through", async () => {
      const { result } = await call(async () => failure);
      if (options.errorResult !== undefined) options.errorResult(result);
      else {
        expect(result.isError).toBe(true);
        expect(result.content).toEqual(failure.content);
      }
    });

    it(`marks results under ${metaKey ?? "no _meta key"} only where documented`, async () => {
      const ok = (await call(async (received) => success(received))).result;
      const bad = (await call(async () => failure)).result;
      const expected = (present: boolean | undefined) =>
        metaKey !== undefined && present === true ? [metaKey] : [];
      expect(wrapperKeys(ok)).toEqual(expected(metaOn.success));
      expect(wrapperKeys(bad)).toEqual(expected(metaOn.errorResult));
    });

    it("leaves no timer running once its clients, servers and state are closed", async () => {
      await tearDown();
      await new Promise((resolve) => setImmediate(resolve));
      const before = activeTimers();
      await setUp();
      await call(async (received) => success(received));
      await call(async () => failure);
      await cancelled();
      await call(async (received) => success(received));
      await tearDown();
      // Closing settles through promises and the SDK's own short timers: wait until they end.
      await vi.waitFor(() => expect(activeTimers()).toBeLessThanOrEqual(before), {
        timeout: 2000,
      });
      await setUp();
    });
  }
}
