import { defineError, describeError, McpProdError } from "@mcp-prod/internal";

/** The codes a {@link CacheError} carries; match on these, never on messages. */
export type CacheErrorCode =
  | "ECACHETIMEOUT"
  | "ECACHESERIALIZATION"
  | "ECACHECLOSED"
  | "ECACHEREDISTIMEOUT"
  | "ECACHEREDISUNAVAILABLE";

/**
 * Base of every error the cache itself raises. A factory's own error is never
 * wrapped: it reaches the caller unchanged.
 *
 * @example
 * ```ts
 * try {
 *   await cache.getOrSet("report", loadReport, { timeoutMs: 500 });
 * } catch (error) {
 *   if (CacheError.isInstance(error) && error.code === "ECACHETIMEOUT") retryLater();
 * }
 * ```
 */
export class CacheError extends McpProdError<CacheErrorCode> {
  override readonly name: string = "CacheError";

  constructor(code: CacheErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }

  static {
    defineError(CacheError, "cache", "CacheError", "CacheError");
  }
}

/**
 * The factory ran longer than `timeoutMs` and no stale value was at hand; its
 * signal was aborted with this error as the reason.
 *
 * @example
 * ```ts
 * if (CacheTimeoutError.isInstance(error)) console.log(error.timeoutMs);
 * ```
 */
export class CacheTimeoutError extends CacheError {
  override readonly name = "CacheTimeoutError";
  readonly key: string;
  readonly timeoutMs: number;

  constructor(key: string, timeoutMs: number) {
    super("ECACHETIMEOUT", `Cache factory for a key timed out after ${timeoutMs} ms`);
    this.key = key;
    this.timeoutMs = timeoutMs;
  }

  static {
    defineError(CacheTimeoutError, "cache", "CacheTimeoutError", "CacheTimeoutError");
  }
}

/**
 * A value could not be serialized (a function, a `BigInt`, a circular object,
 * `undefined`), so it was not stored: raised by `set` rather than writing a
 * corrupt entry. The serializer's own error is the `cause`.
 *
 * @example
 * ```ts
 * await cache.set("k", { id: 1n }).catch((error) => CacheSerializationError.isInstance(error)); // true
 * ```
 */
export class CacheSerializationError extends CacheError {
  override readonly name = "CacheSerializationError";
  readonly key: string;
  /** What the value was: `"bigint"`, `"function"`, `"undefined"`, or an object's class (`"Object"`, `"Map"`). */
  readonly valueType: string;

  constructor(key: string, value: unknown, options?: ErrorOptions) {
    const valueType = typeOfValue(value);
    const reason = options?.cause instanceof Error ? `: ${describeError(options.cause)}` : "";
    super(
      "ECACHESERIALIZATION",
      `Cache value of key ${JSON.stringify(key)} (${valueType}) cannot be serialized${reason}`,
      options,
    );
    this.key = key;
    this.valueType = valueType;
  }

  static {
    defineError(
      CacheSerializationError,
      "cache",
      "CacheSerializationError",
      "CacheSerializationError",
    );
  }
}

function typeOfValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  if (Array.isArray(value)) return "Array";
  return (
    (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor
      ?.name || "Object"
  );
}

/**
 * The cache was used after `close()`.
 *
 * @example
 * ```ts
 * await cache.close();
 * await cache.get("k").catch((error) => CacheClosedError.isInstance(error)); // true
 * ```
 */
export class CacheClosedError extends CacheError {
  override readonly name = "CacheClosedError";

  constructor() {
    super("ECACHECLOSED", "Cache is closed");
  }

  static {
    defineError(CacheClosedError, "cache", "CacheClosedError", "CacheClosedError");
  }
}
