import type { IncomingHttpHeaders } from "node:http";
import type { RateLimitExceededError } from "@mcp-prod/ratelimit";
import type { Caller } from "./auth.ts";
import type { Exchange } from "./client-streams.ts";
import type { Clock, Timer } from "./clock.ts";
import { BackendError } from "./errors.ts";
import type { Params, RequestId } from "./json-rpc.ts";
import type { LocalSession } from "./sessions.ts";

/** Why a call stopped before its answer. */
export class CallStopped extends Error {
  override readonly name = "CallStopped";
  readonly reason: "cancelled" | "gone" | "ended" | "shutdown";
  constructor(reason: CallStopped["reason"], message: string) {
    super(message);
    this.reason = reason;
  }
}

let progressTokens = 0;
const nextProgressToken = (): string => {
  progressTokens += 1;
  return `gw-progress-${progressTokens}`;
};

/**
 * One request of a client, from the moment it is accepted to its answer:
 * who sent it, on which session and exchange, and its one abort signal, fired
 * by its one timeout (`backendTimeoutMs` from acceptance, moved by each
 * progress notification, never past `maxCallMs`), by the client's
 * cancellation, by the client leaving, or by the session ending.
 *
 * Its `requestId`, `sessionId`, `authInfo`, `_meta`, `signal` and
 * `requestInfo` are named as the SDK names a handler's `extra`, so telemetry
 * and tracing read a call the way they read an SDK handler's.
 */
export class CallContext {
  readonly id: RequestId;
  readonly method: string;
  readonly params: Params | undefined;
  readonly caller: Caller | undefined;
  /** The identity the call is counted under (the caller's, or the anonymous address's). */
  readonly identity: string;
  readonly session: LocalSession | undefined;
  readonly exchange: Exchange;
  /** The client's capabilities (none for a client without a session). */
  readonly capabilities: Params;
  readonly protocolVersion: string;
  readonly requestInfo: { readonly headers: IncomingHttpHeaders };
  /** When the gateway accepted the call, on its clock. */
  readonly acceptedAt: number;
  /** The rate-limit decision of a tool call, made when the request was admitted. */
  limit: Promise<RateLimitExceededError | undefined> | undefined;
  /** The progress token the gateway adds when the client sent none, so progress still moves the timeout. */
  readonly ownProgressToken = nextProgressToken();
  readonly #controller = new AbortController();
  readonly #clock: Clock;
  #timer: Timer | undefined;
  #timeoutMs = 0;
  #capAt = Number.POSITIVE_INFINITY;
  #label = "";

  constructor(init: {
    id: RequestId;
    method: string;
    params: Params | undefined;
    caller: Caller | undefined;
    identity: string;
    session: LocalSession | undefined;
    exchange: Exchange;
    capabilities: Params;
    protocolVersion: string;
    headers: IncomingHttpHeaders;
    clock: Clock;
  }) {
    this.id = init.id;
    this.method = init.method;
    this.params = init.params;
    this.caller = init.caller;
    this.identity = init.identity;
    this.session = init.session;
    this.exchange = init.exchange;
    this.capabilities = init.capabilities;
    this.protocolVersion = init.protocolVersion;
    this.requestInfo = { headers: init.headers };
    this.#clock = init.clock;
    this.acceptedAt = init.clock.now();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }
  get requestId(): RequestId {
    return this.id;
  }
  get sessionId(): string | undefined {
    return this.session?.id;
  }
  get authInfo(): Caller | undefined {
    return this.caller;
  }
  get _meta(): Params | undefined {
    const meta = this.params?._meta;
    return meta && typeof meta === "object" ? (meta as Params) : undefined;
  }
  /** The progress token the client asked for, if any. */
  get progressToken(): string | number | undefined {
    const token = this._meta?.progressToken;
    return typeof token === "string" || typeof token === "number" ? token : undefined;
  }

  /**
   * Starts the call's timeout for `backend` (its label names it in the error):
   * `timeoutMs` counted from acceptance, and never past `maxCallMs`.
   */
  arm(label: string, timeoutMs: number, maxCallMs: number): void {
    this.#label = label;
    this.#timeoutMs = timeoutMs;
    this.#capAt = this.acceptedAt + maxCallMs;
    this.#set(this.acceptedAt + timeoutMs);
  }

  /** Progress came: the timeout starts over, within the cap. */
  progressed(): void {
    if (this.#timer === undefined) return;
    this.#set(this.#clock.now() + this.#timeoutMs);
  }

  #set(deadline: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    const at = Math.min(deadline, this.#capAt);
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.abort(
          new BackendError(
            "EBACKENDTIMEOUT",
            this.#label,
            `Backend ${this.#label} did not answer in time`,
          ),
        );
      },
      Math.max(0, at - this.#clock.now()),
    );
  }

  abort(reason: unknown): void {
    if (this.#controller.signal.aborted) return;
    this.disarm();
    this.#controller.abort(reason);
  }

  /** The call is answered: its timer stops. */
  disarm(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
