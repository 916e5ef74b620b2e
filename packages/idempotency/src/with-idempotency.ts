import { basename } from "node:path";
import {
  assertFunction,
  asToolHandler,
  callSite,
  callToolHandler,
  defineWrapper,
  readCallContext,
  readToolCall,
  type ToolHandler,
  type ToolPolicy,
  type ToolResult,
  textResult,
  withDeadline,
  withResultMeta,
} from "@mcp-prod/internal";
import { IdempotencyError, type IdempotencyErrorCode } from "./errors.ts";
import { canonicalJson, digest } from "./key.ts";
import { createMemoryStore } from "./memory-store.ts";
import {
  type ResolvedIdempotencyOptions,
  resolveOptions,
  type WithIdempotencyOptions,
} from "./options.ts";
import {
  type Claim,
  type IdempotencyEvents,
  type IdempotencyStore,
  type Lease,
  REPORT,
} from "./store.ts";
import { withCallTransaction } from "./transaction.ts";

/** The `_meta` key under which a replayed or refused call is marked. */
export const IDEMPOTENCY_META_KEY = "mcp-prod/idempotency";

/** The request `_meta` key under which a client sends its idempotency key. */
export const IDEMPOTENCY_KEY_META = "mcp-prod/idempotency-key";

/**
 * What `withIdempotency` puts under {@link IDEMPOTENCY_META_KEY}: on a
 * duplicate answered with the first call's stored result,
 * `{ replayed: true }` (with `waitedMs` when it waited for the first call to
 * finish); on a refusal, `{ code }` (`EIDEMPOTENCYMISMATCH`,
 * `EIDEMPOTENCYINPROGRESS`, `EIDEMPOTENCYSTORE`). The key itself is never
 * echoed.
 */
export type IdempotencyMeta =
  | { readonly replayed: true; readonly waitedMs?: number }
  | {
      readonly code: Exclude<IdempotencyErrorCode, "EIDEMPOTENCYNOTRANSACTION">;
      readonly waitedMs?: number;
    };

const MESSAGES = {
  EIDEMPOTENCYMISMATCH:
    "This idempotency key was already used with other arguments; send a new key for a new call",
  EIDEMPOTENCYINPROGRESS:
    "A call with this idempotency key is still running; try again shortly for its result",
  EIDEMPOTENCYSTORE:
    "The idempotency store is unavailable, so the call was not run; try again shortly",
  EIDEMPOTENCYCLOSED: "The idempotency store was closed, so the call was not run",
} as const;

/** The process's one default store, made on first use, shared by every server built per request. */
let defaultStore: IdempotencyStore | undefined;

/** Whether an `isError` result was made by a resilience wrapper inside (a refusal, a timeout): never stored. */
function isTransientResult(result: ToolResult): boolean {
  const meta = result._meta;
  if (meta === undefined || meta === null) return false;
  return Object.keys(meta).some((key) => key.startsWith("mcp-prod/"));
}

function refusal(code: keyof typeof MESSAGES, waitedMs?: number): ToolResult {
  const meta: IdempotencyMeta = waitedMs === undefined ? { code } : { code, waitedMs };
  return withResultMeta(textResult(MESSAGES[code], true), IDEMPOTENCY_META_KEY, meta);
}

/**
 * The handler form of {@link withIdempotency}: wraps `handler` so that calls
 * with the same key take effect once.
 */
export function wrapWithIdempotency<H extends ToolHandler>(
  handler: H,
  options?: WithIdempotencyOptions<H>,
  toolName?: string,
  /** Where the public `withIdempotency` was called from: the scope of an unnamed tool's keys. */
  site: string | undefined = callingSite,
): H {
  assertFunction(handler, "handler");
  const o = resolveOptions(options as WithIdempotencyOptions | undefined, toolName);
  // An unnamed tool's keys are scoped by the line that wrapped it (file name and position, the
  // same in every replica running the same code), so two tools never share a record.
  const scope = o.name !== "" ? `tool:${o.name}` : `site:${basename(site ?? "")}`;
  const wrapped = (...params: unknown[]): Promise<ToolResult> => call(handler, o, scope, params);
  return asToolHandler<H>(wrapped);
}

function keyOf(o: ResolvedIdempotencyOptions, params: unknown[], args: unknown, extra: unknown) {
  if (o.key !== undefined) {
    const key = o.key(...params);
    if (key !== undefined && typeof key !== "string")
      throw new TypeError(`Expected \`key\` to return a string or undefined, got ${typeof key}`);
    return key === undefined || key === "" ? undefined : ["key", key];
  }
  const sent = readCallContext(extra).meta?.[IDEMPOTENCY_KEY_META];
  if (typeof sent === "string" && sent !== "") return ["client", sent];
  if (o.keyFromArguments) return ["arguments", canonicalJson(args)];
  return undefined;
}

async function call(
  handler: ToolHandler,
  o: ResolvedIdempotencyOptions,
  scope: string,
  params: unknown[],
): Promise<ToolResult> {
  const { args, extra, signal } = readToolCall(params);
  defaultStore ??= o.store === undefined ? createMemoryStore() : undefined;
  const store = o.store ?? (defaultStore as IdempotencyStore);
  const keyParts = keyOf(o, params, args, extra);
  if (keyParts === undefined) {
    if (!store.transactional) return await callToolHandler(handler, params);
    return runLeased(handler, o, store, params, extra, signal, undefined);
  }
  const identity = o.identity?.(extra) ?? readCallContext(extra).clientId ?? "anonymous";
  // Length-prefixed, so that no two lists of parts read the same.
  const scoped = [identity, scope, ...keyParts].map((part) => `${part.length}:${part}`).join("");
  const canonical = canonicalJson(args);
  // A remote store holds digests only; a local one compares the text itself, which is cheaper.
  const key = store.local ? scoped : digest(scoped);
  const fingerprint = store.local ? canonical : digest(canonical);
  const tool = o.name;
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const waitedMs = Date.now() - started;
    const remaining = Math.max(0, o.waitTimeoutMs - waitedMs);
    let claim: Claim;
    try {
      const claiming = store.claim({
        key,
        fingerprint,
        inProgressTtlMs: o.inProgressTtlMs,
        waitMs: remaining,
        signal,
      });
      // A local store answers at once and cannot hang: no deadline to pay for.
      claim = store.local
        ? await claiming
        : await bound(
            claiming,
            o.storeTimeoutMs + (store.transactional ? remaining : 0),
            signal,
            (late) => {
              if (late.status === "acquired") late.lease.release().catch(() => undefined);
            },
          );
    } catch (error) {
      if (signal?.aborted) throw error;
      return storeFailed(handler, o, store, params, error, "claim");
    }
    if (claim.status === "acquired") {
      if (waitedMs > 0) report(store, "waited", { tool, waitedMs });
      return runLeased(handler, o, store, params, extra, signal, claim.lease);
    }
    const { record } = claim;
    if (record.fingerprint !== fingerprint) {
      report(store, "mismatch", { tool });
      return refusal("EIDEMPOTENCYMISMATCH");
    }
    if (record.state === "completed") {
      if (waitedMs > 0) report(store, "waited", { tool, waitedMs });
      report(store, "replayed", { tool, waitedMs });
      const meta: IdempotencyMeta =
        waitedMs > 0 ? { replayed: true, waitedMs } : { replayed: true };
      return withResultMeta(JSON.parse(record.result) as ToolResult, IDEMPOTENCY_META_KEY, meta);
    }
    if (remaining <= 0) {
      report(store, "inProgress", { tool, waitedMs });
      return refusal("EIDEMPOTENCYINPROGRESS", waitedMs);
    }
    if (attempt === 0) report(store, "waiting", { tool });
    try {
      await store.wait(key, remaining, attempt, signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      return storeFailed(handler, o, store, params, error, "read");
    }
  }
}

/** Runs the handler holding `lease` (or, for a call without a key over a transactional store, a bare transaction). */
async function runLeased(
  handler: ToolHandler,
  o: ResolvedIdempotencyOptions,
  store: IdempotencyStore,
  params: unknown[],
  extra: object | undefined,
  signal: AbortSignal | undefined,
  claimed: Lease | undefined,
): Promise<ToolResult> {
  const tool = o.name;
  let lease = claimed;
  if (lease === undefined) {
    try {
      lease = await bound(store.begin(signal), o.storeTimeoutMs, signal, (late) => {
        late.release().catch(() => undefined);
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      report(store, "storeError", { tool, operation: "claim", error });
      return refusal(
        IdempotencyError.isInstance(error) && error.code === "EIDEMPOTENCYCLOSED"
          ? "EIDEMPOTENCYCLOSED"
          : "EIDEMPOTENCYSTORE",
      );
    }
  }
  const held = lease;
  let result: ToolResult;
  try {
    result = await withCallTransaction(extra, held.transaction, async () =>
      callToolHandler(handler, params),
    );
  } catch (error) {
    await bound(held.release(), o.storeTimeoutMs, undefined).catch((failure: unknown) =>
      report(store, "storeError", { tool, operation: "release", error: failure }),
    );
    throw error;
  }
  let stored: string | undefined;
  if (claimed !== undefined) {
    if (result.isError === true && (!o.storeErrorResults || isTransientResult(result)))
      report(store, "notStored", { tool, reason: "errorResult" });
    else {
      const json = JSON.stringify(result);
      const bytes = Buffer.byteLength(json);
      if (bytes > o.maxResultBytes) report(store, "notStored", { tool, reason: "tooLarge", bytes });
      else stored = json;
    }
  }
  try {
    const completing = held.complete(stored, o.ttlMs);
    await (store.local ? completing : bound(completing, o.storeTimeoutMs, undefined));
  } catch (error) {
    report(store, "storeError", { tool, operation: "complete", error });
    // In a transaction the handler's writes did not commit: the call did not take effect.
    if (store.transactional) return refusal("EIDEMPOTENCYSTORE");
  }
  return result;
}

function storeFailed(
  handler: ToolHandler,
  o: ResolvedIdempotencyOptions,
  store: IdempotencyStore,
  params: unknown[],
  error: unknown,
  operation: "claim" | "read",
): Promise<ToolResult> {
  report(store, "storeError", { tool: o.name, operation, error });
  if (IdempotencyError.isInstance(error) && error.code === "EIDEMPOTENCYCLOSED")
    return Promise.resolve(refusal("EIDEMPOTENCYCLOSED"));
  if (o.storeErrors === "open") return Promise.resolve(callToolHandler(handler, params));
  return Promise.resolve(refusal("EIDEMPOTENCYSTORE"));
}

function report<Name extends keyof IdempotencyEvents>(
  store: IdempotencyStore,
  name: Name,
  ...args: Parameters<IdempotencyEvents[Name]>
): void {
  store[REPORT](name, ...args);
}

/** One store call, bounded by `timeoutMs` and the caller's signal; `late` gets what a call given up on still returns. */
function bound<T>(
  work: Promise<T>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  late?: (value: T) => void,
): Promise<T> {
  return withDeadline(work, timeoutMs, {
    signal,
    onTimeout: () =>
      new IdempotencyError(
        "EIDEMPOTENCYSTORE",
        `The idempotency store did not answer within ${timeoutMs} ms`,
      ),
    ...(late === undefined ? {} : { onGiveUp: () => void work.then(late, () => undefined) }),
  });
}

const dispatch = defineWrapper({
  kind: "idempotency",
  wrap: wrapWithIdempotency,
  policy: (options?: WithIdempotencyOptions) => {
    // Checked now, so a wrong option fails where the policy is written.
    resolveOptions(options, undefined);
    return (handler, { name }) => wrapWithIdempotency(handler, options, name, undefined);
  },
});

/**
 * Makes a tool take effect once per idempotency key. The key is the client's
 * `_meta["mcp-prod/idempotency-key"]` (or, with `keyFromArguments`, a digest
 * of the arguments; `key` overrides both), scoped by the caller's identity and
 * the tool's name. The first call runs; a duplicate that arrives while it runs
 * waits for its result (up to `waitTimeoutMs`); a later one gets the stored
 * result, marked `_meta["mcp-prod/idempotency"] = { replayed: true }`. The
 * same key with other arguments answers `isError` with
 * `code: "EIDEMPOTENCYMISMATCH"`. A thrown error is not stored, so the call
 * may run again. A call without a key runs as it would unwrapped.
 *
 * @example
 * ```ts
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
 * import { withIdempotency } from "@mcp-prod/idempotency";
 * import { z } from "zod";
 *
 * const server = new McpServer({ name: "billing", version: "1.0.0" });
 * server.registerTool(
 *   "send_invoice",
 *   { inputSchema: { customer: z.string(), cents: z.number() } },
 *   withIdempotency(async ({ customer, cents }) => ({
 *     content: [{ type: "text", text: await sendInvoice(customer, cents) }],
 *   })),
 * );
 * ```
 */
export function withIdempotency<H extends ToolHandler>(
  handler: H,
  options?: WithIdempotencyOptions<H>,
): H;
/**
 * Idempotency as a policy for `compose(name, handler, ...policies)`, keyed
 * with the tool's name. Its place in the order is inside the fallback (a
 * degraded answer is never stored as the tool's) and outside retry (the
 * retries of one call are one effect).
 *
 * @example
 * ```ts
 * import { compose, withIdempotency } from "@mcp-prod/idempotency";
 *
 * server.registerTool("send_invoice", config, compose("send_invoice", handler, withIdempotency({ store })));
 * ```
 */
export function withIdempotency<H extends ToolHandler = ToolHandler>(
  options?: WithIdempotencyOptions<H>,
): ToolPolicy<H>;
export function withIdempotency(...params: unknown[]): unknown {
  callingSite = callSite();
  try {
    return dispatch(params);
  } finally {
    callingSite = undefined;
  }
}

/** The caller's line while `withIdempotency` runs. */
let callingSite: string | undefined;
