import {
  assertBoolean,
  assertFunction,
  assertKnownKeys,
  assertOneOf,
  assertOptions,
  assertPositiveInteger,
  assertPositiveNumber,
  assertString,
  type ForeignKeys,
  optionKeys,
  type ToolHandler,
} from "@mcp-prod/internal";
import type { IdempotencyStore } from "./store.ts";

/** The SDK's `extra` (1.x) or `ctx` (2.x) of a handler of type `H`: its last parameter. */
export type ToolExtra<H extends ToolHandler> =
  Parameters<H> extends [...unknown[], infer Extra] ? Extra : unknown;

/** Options of `withIdempotency`. */
export type WithIdempotencyOptions<H extends ToolHandler = ToolHandler> = {
  /**
   * Where records live: `createMemoryStore()` (one process),
   * `createRedisStore({ redis })` or `createPostgresStore({ pool })` (shared by
   * replicas).
   * @default the process's one memory store
   */
  readonly store?: IdempotencyStore;
  /**
   * The tool's name, part of every key so two tools never share a record.
   * `compose` passes the tool's name. Without one, keys are scoped by the
   * line that called `withIdempotency` (its file name and position).
   * @default the tool's name under `compose`, none in the handler form
   */
  readonly name?: string;
  /**
   * The call's idempotency key, from the handler's parameters (`(args,
   * extra)`, or `(extra)` for a tool without an `inputSchema`); it overrides the client's key and the
   * argument digest. `undefined` runs the call without idempotency.
   * @default the client's key in `_meta["mcp-prod/idempotency-key"]`
   */
  readonly key?: (...params: Parameters<H>) => string | undefined;
  /**
   * Without a client key (and without `key`), use a digest of the caller's
   * identity, the tool's name and the canonical arguments: the same arguments
   * from the same caller within `ttlSeconds` are then one call.
   * @default false
   */
  readonly keyFromArguments?: boolean;
  /**
   * Who the caller is: every key is scoped by it, so one caller never receives
   * another's stored result.
   * @default the verified token's `clientId`, else `"anonymous"`
   */
  readonly identity?: (extra: ToolExtra<H>) => string | undefined;
  /**
   * How long a finished call's result answers its duplicates, in seconds.
   * @default 86400 (24 h)
   */
  readonly ttlSeconds?: number;
  /**
   * How long a running call's record holds its key, in ms: past it, a call
   * whose process died without finishing can run again. Longer than the
   * tool's slowest call.
   * @default 60000
   */
  readonly inProgressTtlMs?: number;
  /**
   * How long a duplicate waits for the first call's result, in ms, before it
   * answers `EIDEMPOTENCYINPROGRESS`.
   * @default 30000
   */
  readonly waitTimeoutMs?: number;
  /**
   * How long one store call may take, in ms, before it counts as failed.
   * @default 2000
   */
  readonly storeTimeoutMs?: number;
  /**
   * What a call does when the store fails or is slower than `storeTimeoutMs`:
   * `"closed"` answers `EIDEMPOTENCYSTORE` without running (a non-idempotent
   * effect is never risked twice); `"open"` runs the call without idempotency.
   * @default "closed"
   */
  readonly storeErrors?: "closed" | "open";
  /**
   * Store a definitive `isError` result too, so a duplicate gets the same
   * error; otherwise the record is dropped and a duplicate runs again.
   * @default false
   */
  readonly storeErrorResults?: boolean;
  /**
   * The largest result stored, in bytes of JSON; a larger one is returned but
   * not stored (a `notStored` event with `reason: "tooLarge"`).
   * @default 1048576 (1 MiB)
   */
  readonly maxResultBytes?: number;
};

/** The option names of {@link WithIdempotencyOptions}, checked against the type by the compiler. */
export const WITH_IDEMPOTENCY_KEYS = optionKeys<WithIdempotencyOptions>({
  store: true,
  name: true,
  key: true,
  keyFromArguments: true,
  identity: true,
  ttlSeconds: true,
  inProgressTtlMs: true,
  waitTimeoutMs: true,
  storeTimeoutMs: true,
  storeErrors: true,
  storeErrorResults: true,
  maxResultBytes: true,
});

/** Where Powertools', Stripe's and others' names live here. */
export const IDEMPOTENCY_FOREIGN_KEYS: ForeignKeys = {
  persistenceStore: "use `store`",
  persistence: "use `store`",
  eventKeyJmesPath: "use `key` (a function of the arguments)",
  keyGenerator: "use `key`",
  expiresAfterSeconds: "use `ttlSeconds`",
  ttl: "use `ttlSeconds` (seconds)",
  payloadValidationJmesPath:
    "no counterpart: the whole arguments are compared, and another call with the same key is refused",
  throwOnNoIdempotencyKey: "no counterpart: a call without a key runs without idempotency",
  useLocalCache: "no counterpart: use `createMemoryStore()` for one process",
  lockTimeout: "use `inProgressTtlMs` (milliseconds)",
  timeout: "use `waitTimeoutMs` (milliseconds)",
  failOpen: 'use `storeErrors: "open"`',
};

/** The options with every default filled. */
export type ResolvedIdempotencyOptions = {
  readonly store: IdempotencyStore | undefined;
  readonly name: string;
  readonly key: ((...params: unknown[]) => string | undefined) | undefined;
  readonly keyFromArguments: boolean;
  readonly identity: ((extra: unknown) => string | undefined) | undefined;
  readonly ttlMs: number;
  readonly inProgressTtlMs: number;
  readonly waitTimeoutMs: number;
  readonly storeTimeoutMs: number;
  readonly storeErrors: "closed" | "open";
  readonly storeErrorResults: boolean;
  readonly maxResultBytes: number;
};

/** Checks `withIdempotency`'s options and fills the defaults. */
export function resolveOptions(
  options: WithIdempotencyOptions | undefined,
  toolName: string | undefined,
): ResolvedIdempotencyOptions {
  if (options !== undefined) assertOptions(options);
  const o = (options ?? {}) as WithIdempotencyOptions;
  assertKnownKeys(o, WITH_IDEMPOTENCY_KEYS, "withIdempotency()", IDEMPOTENCY_FOREIGN_KEYS);
  const store = o.store;
  if (
    store !== undefined &&
    (typeof store !== "object" || store === null || typeof store.claim !== "function")
  )
    throw new TypeError(
      "Expected `store` to be a store from createMemoryStore(), createRedisStore() or createPostgresStore()",
    );
  assertString(o.name, "name", true);
  assertFunction(o.key, "key", true);
  assertBoolean(o.keyFromArguments, "keyFromArguments", true);
  assertFunction(o.identity, "identity", true);
  assertPositiveNumber(o.ttlSeconds, "ttlSeconds", true);
  assertPositiveNumber(o.inProgressTtlMs, "inProgressTtlMs", true);
  assertPositiveNumber(o.waitTimeoutMs, "waitTimeoutMs", true);
  assertPositiveNumber(o.storeTimeoutMs, "storeTimeoutMs", true);
  assertOneOf(o.storeErrors, "storeErrors", ["closed", "open"] as const, true);
  assertBoolean(o.storeErrorResults, "storeErrorResults", true);
  assertPositiveInteger(o.maxResultBytes, "maxResultBytes", true);
  if (o.storeErrors === "open" && store?.transactional === true)
    throw new TypeError(
      "`storeErrors: \"open\"` cannot be used with a transactional store: the handler's writes need the store's transaction",
    );
  return {
    store,
    name: o.name ?? toolName ?? "",
    key: o.key as ResolvedIdempotencyOptions["key"],
    keyFromArguments: o.keyFromArguments ?? false,
    identity: o.identity as ResolvedIdempotencyOptions["identity"],
    ttlMs: Math.round((o.ttlSeconds ?? 86_400) * 1000),
    inProgressTtlMs: o.inProgressTtlMs ?? 60_000,
    waitTimeoutMs: o.waitTimeoutMs ?? 30_000,
    storeTimeoutMs: o.storeTimeoutMs ?? 2000,
    storeErrors: o.storeErrors ?? "closed",
    storeErrorResults: o.storeErrorResults ?? false,
    maxResultBytes: o.maxResultBytes ?? 1_048_576,
  };
}
