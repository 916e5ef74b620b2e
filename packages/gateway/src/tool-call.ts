import { BREAKER_META_KEY, BreakerOpenError } from "@mcp-prod/breaker";
import { RATE_LIMIT_META_KEY, type RateLimitExceededError } from "@mcp-prod/ratelimit";
import type { CallContext } from "./call-context.ts";
import type { Route } from "./catalog.ts";
import type { GatewayCore } from "./core.ts";
import { BackendError, isBackendFailure } from "./errors.ts";
import { depthExceeds, errorResultText, forward, RelayedError } from "./forward.ts";
import { ERROR, type Params, RpcError, resultText } from "./json-rpc.ts";
import { ShareExceededError } from "./limits.ts";

/**
 * A tool call's outcome: shaped as a tool result for telemetry (`isError`,
 * `_meta`), carrying the answer's text, which is the backend's own (passed on
 * as it came) or one the gateway made.
 */
type Outcome = {
  readonly content: readonly unknown[];
  readonly isError?: boolean;
  readonly _meta?: Record<string, unknown>;
  readonly text: string;
};

type Handler = (args: unknown, ctx: CallContext) => Promise<Outcome>;

const NO_CONTENT: readonly unknown[] = [];

function made(ctx: CallContext, text: string, meta?: Record<string, unknown>): Outcome {
  const result = {
    content: [{ type: "text", text }],
    isError: true,
    ...(meta ? { _meta: meta } : {}),
  };
  return { ...result, text: resultText(ctx.id, result) };
}

/** What the model reads when the backend, not the call, failed: the tool and the backend named. */
function failure(ctx: CallContext, name: string, error: BackendError): Outcome {
  const why =
    error.code === "EBACKENDTIMEOUT"
      ? "did not answer in time"
      : error.code === "EBACKENDTOOLARGE"
        ? "sent a result larger than the gateway accepts"
        : isBackendFailure(error)
          ? "is unavailable"
          : "refused the call";
  return made(ctx, `${name} failed: backend ${error.backend} ${why}`);
}

/**
 * The tools/call pipeline: the name routed and checked against the caller's
 * scopes, the arguments bounded, then, inside telemetry's wrapper (metrics,
 * SERVER span, log line), the tool's rate limit (decided when the request was
 * admitted), the backend's breaker and the caller's share, the forward, and
 * every failure turned into what a model can act on: an `isError` result
 * naming the tool. A backend's JSON-RPC error reaches the client as it came.
 */
export class ToolCalls {
  readonly #core: GatewayCore;
  // One wrapped handler per known tool name; names leave with the backend's list, so this stays bounded.
  readonly #handlers = new Map<string, Handler>();
  /** Each running call's route, for the wrapped handler (one per name) to find. */
  readonly #routes = new WeakMap<CallContext, Route<unknown>>();

  constructor(core: GatewayCore) {
    this.#core = core;
  }

  /** Forgets handlers of tools no longer offered. */
  retain(names: ReadonlyMap<string, unknown>): void {
    for (const name of this.#handlers.keys()) if (!names.has(name)) this.#handlers.delete(name);
  }

  /** The route of a tools/call the caller may make, or undefined (an unknown name to it). */
  route(ctx: CallContext): Route<unknown> | undefined {
    const name = ctx.params?.name;
    if (typeof name !== "string") return undefined;
    const route = this.#core.catalog().tools.get(name);
    if (!route) return undefined;
    const caller = ctx.caller;
    if (caller && this.#core.authenticator.scopeFailure(caller, name, route.backend.prefix))
      return undefined;
    return route;
  }

  /** Runs the call; resolves with the text of its answer. */
  async call(
    ctx: CallContext,
    limit: Promise<RateLimitExceededError | undefined>,
  ): Promise<string> {
    const params = ctx.params ?? {};
    const name = params.name;
    const route = this.route(ctx);
    if (!route || typeof name !== "string")
      throw new RpcError(ERROR.invalidParams, `Unknown tool: ${String(name)}`);
    const { maxArgumentDepth, maxBodyBytes } = this.#core.settings;
    if (depthExceeds(params.arguments, maxArgumentDepth))
      throw new RpcError(
        ERROR.invalidParams,
        `Arguments of ${name} nest deeper than ${maxArgumentDepth} levels`,
      );
    if (JSON.stringify(params).length > maxBodyBytes)
      throw new RpcError(
        ERROR.invalidParams,
        `Arguments of ${name} exceed ${maxBodyBytes} bytes once serialised`,
      );
    const startedAt = performance.now();
    try {
      ctx.limit = limit;
      this.#routes.set(ctx, route);
      const outcome = await this.#handler(name)(params.arguments, ctx);
      this.#audit(ctx, name, outcome.isError ? "error_result" : "success", startedAt);
      return outcome.text;
    } catch (error) {
      this.#audit(ctx, name, ctx.signal.aborted ? "cancelled" : "error", startedAt);
      throw error;
    }
  }

  #handler(name: string): Handler {
    let handler = this.#handlers.get(name);
    if (handler === undefined) {
      handler = this.#core.telemetry.wrap(name, (_args: unknown, ctx: CallContext) =>
        this.#run(ctx, name, this.#routes.get(ctx) as Route<unknown>),
      ) as Handler;
      this.#handlers.set(name, handler);
    }
    return handler;
  }

  async #run(ctx: CallContext, name: string, route: Route<unknown>): Promise<Outcome> {
    const limited = await ctx.limit;
    if (limited) {
      return made(ctx, limited.message, {
        [RATE_LIMIT_META_KEY]: {
          limited: true,
          limit: limited.limit,
          durationSeconds: limited.durationSeconds,
          retryAfterMs: limited.retryAfterMs,
          retryAfterSeconds: limited.retryAfterSeconds,
        },
      });
    }
    let answer: Awaited<ReturnType<typeof forward>>;
    try {
      answer = await forward(this.#core, ctx, route.backend, "tools/call", {
        ...(ctx.params as Params),
        name: route.name,
      });
    } catch (error) {
      if (BreakerOpenError.isInstance(error))
        return made(ctx, "Service temporarily unavailable", {
          [BREAKER_META_KEY]: { open: true, retryAfterMs: error.retryAfterMs },
        });
      if (error instanceof ShareExceededError)
        return made(ctx, `${name} refused: ${error.message}`, {
          "mcp-prod/bulkhead": { rejected: true },
        });
      if (ctx.signal.aborted && !BackendError.isInstance(ctx.signal.reason))
        throw ctx.signal.reason;
      const cause = ctx.signal.aborted ? ctx.signal.reason : error;
      // As an MCP server does for a failing handler: the model sees the failure as a result.
      if (BackendError.isInstance(cause)) return failure(ctx, name, cause);
      if (error instanceof RelayedError) error.rename(route.name, name);
      throw error;
    } finally {
      ctx.disarm();
    }
    // The backend's own result goes on as it came; its `_meta` tells telemetry whether it was a
    // refusal (`limited`) or a degraded answer (`degraded`), as for a local handler.
    const { isError, meta } = answer.envelope;
    return {
      content: NO_CONTENT,
      ...(isError ? { isError: true } : {}),
      ...(meta ? { _meta: meta } : {}),
      text: isError ? errorResultText(ctx.id, answer.text, route.name, name) : answer.text,
    };
  }

  #audit(ctx: CallContext, tool: string, outcome: string, startedAt: number): void {
    const logger = this.#core.logger;
    if (!logger) return;
    logger.info(
      {
        event: "audit",
        clientId: ctx.caller?.clientId,
        subject: ctx.caller?.extra?.subject,
        tool,
        outcome,
        durationMs: Math.round((performance.now() - startedAt) * 100) / 100,
        ...(this.#core.settings.auditArguments ? { arguments: ctx.params?.arguments } : {}),
      },
      "tool call",
    );
  }
}
