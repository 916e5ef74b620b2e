import {
  assertKnownKeys,
  assertNonNegativeInteger,
  assertOneOf,
  assertOptions,
  assertPositiveInteger,
  assertPositiveNumber,
  assertString,
  type ForeignKeys,
  optionKeys,
  type ToolHandler,
} from "@mcp-prod/internal";
import type { RateLimitExceededError } from "./errors.ts";
import type { RateLimiter } from "./limiter.ts";

/**
 * The part of an ioredis client (`Redis` or `Cluster`) the limiter relies on.
 * Typed structurally so the package's types do not need ioredis installed.
 */
export type RedisClientLike = {
  /** ioredis connection state; anything but `"ready"` sends calls to the fallback at once. */
  readonly status: string;
  defineCommand(name: string, definition: { numberOfKeys?: number; lua: string }): void;
};

export type RateLimiterOptions = {
  /**
   * Names the limiter in events and metrics (never the keys).
   * @default "ratelimit"
   */
  readonly name?: string;
  /** Calls (points) a key may spend per window. A positive integer. */
  readonly points: number;
  /** Length of the window in seconds, counted from a key's first call. A positive integer. */
  readonly durationSeconds: number;
  /**
   * Once a key is over its limit, keep refusing it for this many seconds
   * instead of only until the window ends. `0` turns blocking off.
   * @default 0
   */
  readonly blockDurationSeconds?: number;
  /**
   * An ioredis client shared by every replica: the limit then holds across
   * them. Without it counts live in this process's memory.
   * @default undefined (memory store)
   */
  readonly redis?: RedisClientLike;
  /**
   * Prefix of the Redis keys. Limiters that share a prefix (and options)
   * enforce one limit together.
   * @default `mcp-prod:ratelimit:${name}`
   */
  readonly keyPrefix?: string;
  /**
   * What happens to a call while Redis is unreachable or slower than
   * `storeTimeoutMs`. `"open"`: the call is counted by an in-memory limiter
   * with the same options in this replica (so N replicas let through up to N
   * times the limit until Redis is back). `"closed"`: the call is refused with
   * a {@link RateLimitExceededError} whose `storeUnavailable` is true. Either
   * way the store error is reported through the `error` event, never thrown.
   * @default "open"
   */
  readonly onStoreError?: "open" | "closed";
  /**
   * How long a Redis call may take before the call is decided as if Redis
   * were down (a paused or overloaded Redis must not stall tool calls).
   * @default 500
   */
  readonly storeTimeoutMs?: number;
  /**
   * `retryAfterMs` given to refused calls while the store is down and
   * `onStoreError` is `"closed"`.
   * @default 1000
   */
  readonly storeUnavailableRetryAfterMs?: number;
};

/** {@link RateLimiterOptions} checked, with every default filled in. */
export type LimiterSettings = Required<Omit<RateLimiterOptions, "redis">> & {
  readonly redis: RedisClientLike | undefined;
};

/** The option names of {@link RateLimiterOptions}. */
export const LIMITER_KEYS = optionKeys<RateLimiterOptions>({
  name: true,
  points: true,
  durationSeconds: true,
  blockDurationSeconds: true,
  redis: true,
  keyPrefix: true,
  onStoreError: true,
  storeTimeoutMs: true,
  storeUnavailableRetryAfterMs: true,
});

/** rate-limiter-flexible's and express-rate-limit's names. */
export const LIMITER_FOREIGN_KEYS: ForeignKeys = {
  duration: "use `durationSeconds` (seconds)",
  blockDuration: "use `blockDurationSeconds` (seconds)",
  storeClient: "use `redis` (an ioredis client)",
  insuranceLimiter:
    'use `onStoreError: "open"` (the default: an in-memory limiter while Redis is down)',
  inMemoryBlockOnConsumed: "use `blockDurationSeconds`",
  windowMs: "use `durationSeconds` (seconds)",
  max: "use `points`",
  limit: "use `points`",
  keyGenerator: "pass `key` to `withRateLimit()` or `nodeMiddleware()`",
  capacity: "use `points` (a concurrency limit is @mcp-prod/bulkhead)",
};

/** Checks the options of `createRateLimiter()` and fills in the defaults. */
export function readLimiterOptions(options: RateLimiterOptions): LimiterSettings {
  assertOptions(options);
  if (options === undefined)
    throw new TypeError("Expected `options` to be an object, got undefined");
  assertKnownKeys(options, LIMITER_KEYS, "createRateLimiter()", LIMITER_FOREIGN_KEYS);
  const {
    name = "ratelimit",
    points,
    durationSeconds,
    blockDurationSeconds = 0,
    redis,
    keyPrefix = `mcp-prod:ratelimit:${name}`,
    onStoreError = "open",
    storeTimeoutMs = 500,
    storeUnavailableRetryAfterMs = 1000,
  } = options;
  assertString(name, "name");
  assertPositiveInteger(points, "points");
  assertPositiveInteger(durationSeconds, "durationSeconds");
  assertNonNegativeInteger(blockDurationSeconds, "blockDurationSeconds");
  if (redis !== undefined && (typeof redis !== "object" || redis === null || !("status" in redis)))
    throw new TypeError(
      `Expected \`redis\` to be an ioredis client, got ${redis === null ? "null" : typeof redis}`,
    );
  assertString(keyPrefix, "keyPrefix");
  assertOneOf(onStoreError, "onStoreError", ["open", "closed"] as const);
  assertPositiveNumber(storeTimeoutMs, "storeTimeoutMs");
  assertPositiveNumber(storeUnavailableRetryAfterMs, "storeUnavailableRetryAfterMs");
  return {
    name,
    points,
    durationSeconds,
    blockDurationSeconds,
    redis,
    keyPrefix,
    onStoreError,
    storeTimeoutMs,
    storeUnavailableRetryAfterMs,
  };
}

/** A cost above `points` could never be allowed: refused as a programming error, not "retry later". */
export function assertCost(cost: unknown, points: number): void {
  assertPositiveInteger(cost, "cost");
  if ((cost as number) > points)
    throw new TypeError(
      `Expected \`cost\` to be at most the limiter's \`points\` (${points}), got ${cost as number}: such a call could never be allowed`,
    );
}

/**
 * What the `key` function sees of the SDK's request `extra` (1.x) or `ctx`
 * (2.x): typed structurally so it needs no SDK types.
 */
export type RateLimitExtra = {
  readonly sessionId?: string | undefined;
  readonly authInfo?:
    | {
        readonly clientId?: string;
        readonly scopes?: readonly string[];
        readonly extra?: Record<string, unknown>;
      }
    | undefined;
  readonly [field: string]: unknown;
};

/** What `withRateLimit` adds to the limiter's options. */
export type ToolRateLimitOptions<H extends ToolHandler = ToolHandler> = {
  /**
   * Who a call counts against. It receives the handler's own parameters
   * (`args, extra` for a tool with an `inputSchema`, `extra` without), typed
   * like the handler. Returning `undefined` counts the call under `"anonymous"`.
   * @default the authenticated client (`authInfo.clientId`), else the MCP
   * session id. A call over HTTP with neither (a stateless server without
   * authentication) is refused with a `TypeError` asking for `key`, rather
   * than putting every client in one bucket; over stdio (one client) it counts
   * under `"anonymous"`.
   */
  readonly key?: (...params: Parameters<H>) => string | undefined;
  /**
   * A tool name: the limit then applies per client *per tool* (the key
   * becomes `<tool>:<client>`), so one limiter can serve every tool.
   * @default undefined (one limit across the tools sharing the limiter)
   */
  readonly tool?: string;
  /**
   * Points one call costs.
   * @default 1
   */
  readonly cost?: number;
  /**
   * The text of the `isError` result a refused call gets.
   * @default "Rate limit exceeded, retry after N s (limit: P per D s)."
   */
  readonly message?: (error: RateLimitExceededError) => string;
};

/**
 * `withRateLimit` options: either a shared `limiter` (needed when a stateless
 * server builds a new `McpServer` per request, or to share one limit between
 * tools), or the options of the limiter to create.
 */
export type WithRateLimitOptions<H extends ToolHandler = ToolHandler> = ToolRateLimitOptions<H> &
  (
    | ({ readonly limiter: RateLimiter } & { readonly [K in keyof RateLimiterOptions]?: never })
    | (RateLimiterOptions & { readonly limiter?: never })
  );

type PolicyForm<Options> = Options extends unknown
  ? Omit<Options, "tool"> & {
      /**
       * The tool part of the key (`<tool>:<client>`), so one limiter serves
       * every tool with a limit per tool. `false` counts the calls of every
       * tool sharing the limiter against one limit per client.
       * @default the tool's name given to `compose`
       */
      readonly tool?: string | false;
    }
  : never;

/**
 * Options of `withRateLimit`'s policy form: those of the handler form, with
 * `key` typed from the handler and `tool` defaulting to the tool's name.
 */
export type RateLimitPolicyOptions<H extends ToolHandler = ToolHandler> = PolicyForm<
  WithRateLimitOptions<H>
>;

/** The option names of {@link WithRateLimitOptions}. */
export const WITH_RATE_LIMIT_KEYS = [
  ...optionKeys<ToolRateLimitOptions>({ key: true, tool: true, cost: true, message: true }),
  "limiter",
  ...LIMITER_KEYS,
];
