import {
  assertFunction,
  assertKnownKeys,
  assertOneOf,
  assertOptions,
  assertPositiveNumber,
  optionKeys,
  withDeadline,
} from "@mcp-prod/internal";
import type { CheckFunction, CheckOutcome } from "./checks.ts";
import { HealthError } from "./errors.ts";
import { redactSecrets } from "./redact.ts";

/**
 * Options of {@link httpCheck}.
 *
 * @example
 * ```ts
 * httpCheck("http://127.0.0.1:8080/status", {
 *   timeoutMs: 500,
 *   expect: (status) => (status === 429 ? "degraded" : status < 400),
 * });
 * ```
 */
export type HttpCheckOptions = {
  /**
   * The request's own timeout (the health object's per-check timeout also applies).
   * @default 1000
   */
  readonly timeoutMs?: number;
  /** @default "GET" */
  readonly method?: "GET" | "HEAD" | "POST";
  /**
   * Request headers. Credentials in the URL are sent as Basic auth unless
   * `authorization` is set here.
   * @default {}
   */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Maps the response status to an outcome.
   * @default 2xx and 3xx are healthy, anything else unhealthy
   */
  readonly expect?: (status: number) => CheckOutcome;
  /**
   * The fetch implementation (for a proxy agent or a test double).
   * @default globalThis.fetch
   */
  readonly fetch?: typeof fetch;
};

const HTTP_CHECK_KEYS = optionKeys<HttpCheckOptions>({
  timeoutMs: true,
  method: true,
  headers: true,
  expect: true,
  fetch: true,
});

const defaultExpect = (status: number): CheckOutcome => status >= 200 && status < 400;

/**
 * A check that requests `url` and judges the status; a network error or a
 * timeout is unhealthy. The body is discarded unread.
 *
 * @example
 * ```ts
 * const health = createHealth({
 *   checks: { externalApi: httpCheck("http://127.0.0.1:8080/status", { timeoutMs: 1000 }) },
 * });
 * ```
 */
export function httpCheck(url: string | URL, options?: HttpCheckOptions): CheckFunction {
  assertOptions(options);
  assertKnownKeys(options, HTTP_CHECK_KEYS, "httpCheck()");
  const {
    timeoutMs = 1000,
    method = "GET",
    headers = {},
    expect = defaultExpect,
    fetch: fetchImpl = globalThis.fetch,
  } = options ?? {};
  const target = new URL(url);
  const requestHeaders = new Headers(headers as Record<string, string>);
  // fetch refuses URLs with credentials: send them as Basic auth instead.
  if ((target.username || target.password) && !requestHeaders.has("authorization")) {
    const credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
    requestHeaders.set("authorization", `Basic ${Buffer.from(credentials).toString("base64")}`);
  }
  const shown = redactSecrets(target.href);
  target.username = "";
  target.password = "";
  assertPositiveNumber(timeoutMs, "timeoutMs");
  assertOneOf(method, "method", ["GET", "HEAD", "POST"] as const);
  assertOptions(headers, "headers");
  assertFunction(expect, "expect");
  assertFunction(fetchImpl, "fetch");

  return async ({ signal }) => {
    // The toolkit's deadline, not AbortSignal.any() with AbortSignal.timeout(): a
    // timeout signal held only by AbortSignal.any() can be collected before it fires.
    const response = await withDeadline(
      (own) =>
        fetchImpl(target, { method, headers: requestHeaders, redirect: "manual", signal: own }),
      timeoutMs,
      {
        signal,
        onTimeout: () =>
          new HealthError(
            "ECHECKTIMEOUT",
            `${method} ${shown} did not answer within its timeout (${timeoutMs} ms)`,
          ),
      },
    );
    await response.body?.cancel();
    const outcome = expect(response.status);
    if (outcome === false || outcome === "unhealthy")
      throw new HealthError("ECHECKFAILED", `${method} ${shown} answered ${response.status}`);
    return outcome;
  };
}
