import {
  assertKnownKeys,
  assertOptions,
  assertPositiveNumber,
  assertString,
  describeValue,
  optionKeys,
} from "@mcp-prod/internal";

/** Options of `withTimeout`: the deadline alone (`withTimeout(handler, 5000)`) or these. */
export type WithTimeoutOptions = {
  /** The tool's server-side deadline in milliseconds. */
  readonly timeoutMs: number;
  /**
   * Text of the `isError` result returned when the deadline passes.
   * @default "Tool timed out after <timeoutMs>ms"
   */
  readonly message?: string;
  /**
   * The tool's name, carried by the `ToolTimeoutError` that aborts the handler.
   * @default the name given to `compose`, else the handler's function name, else "tool"
   */
  readonly name?: string;
};

const TIMEOUT_KEYS = optionKeys<WithTimeoutOptions>({ timeoutMs: true, message: true, name: true });

/** Where other libraries' names for these options live here. */
const TIMEOUT_FOREIGN_KEYS = {
  timeout: "use `timeoutMs` (milliseconds)",
  ms: "use `timeoutMs` (milliseconds)",
  milliseconds: "use `timeoutMs`",
};

/** The options of one `withTimeout`, checked, with their defaults filled. */
export type TimeoutSettings = {
  readonly timeoutMs: number;
  readonly message: string;
  readonly name: string | undefined;
};

/** Checks `withTimeout`'s second argument, a number of milliseconds or {@link WithTimeoutOptions}. */
export function readTimeoutOptions(timeout: unknown): TimeoutSettings {
  // Anything but a number or an options object: `withTimeout(handler, "5s")` speaks of milliseconds, not of an object.
  if (
    typeof timeout !== "number" &&
    (typeof timeout !== "object" || timeout === null || Array.isArray(timeout))
  )
    throw new TypeError(
      `Expected \`timeout\` to be milliseconds or \`{ timeoutMs }\`, got ${describeValue(timeout)}: withTimeout(handler, 5000)`,
    );
  if (typeof timeout === "number") {
    assertPositiveNumber(timeout, "timeout");
    return { timeoutMs: timeout, message: `Tool timed out after ${timeout}ms`, name: undefined };
  }
  assertOptions(timeout, "timeout");
  assertKnownKeys(timeout, TIMEOUT_KEYS, "withTimeout()", TIMEOUT_FOREIGN_KEYS);
  const { timeoutMs, name } = timeout as WithTimeoutOptions;
  assertPositiveNumber(timeoutMs, "timeoutMs");
  const { message = `Tool timed out after ${timeoutMs}ms` } = timeout as WithTimeoutOptions;
  assertString(message, "message");
  assertString(name, "name", true);
  return { timeoutMs, message, name };
}
