import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import { isNetworkError } from "@mcp-prod/internal";
import type { Clock } from "./clock.ts";
import { headersFor, type Target } from "./endpoint.ts";
import { BackendError } from "./errors.ts";
import { type Envelope, type Params, type RequestId, readEnvelope } from "./json-rpc.ts";
import { EventTooLargeError, SseParser } from "./sse.ts";

/** A message the backend sent on the way to its answer: a notification or a request of its own. */
export type OnMessage = (text: string, envelope: Envelope) => undefined | Promise<void>;

export type Call = Target & {
  readonly id: RequestId;
  readonly method: string;
  readonly params: Params | undefined;
  /** Aborted by the call's timeout, the client's cancellation or its departure. */
  readonly signal: AbortSignal;
  readonly onMessage: OnMessage;
  /** Largest message accepted from the backend. */
  readonly maxBytes: number;
};

/** The backend's answer, as the text it sent (passed on without being decoded) and its envelope. */
export type Answer = {
  readonly text: string;
  readonly envelope: Envelope;
  /** `Mcp-Session-Id` of the response (an initialize's answer). */
  readonly sessionId: string | undefined;
  /** `result.isError` of a tool result (what a CLIENT span records as `tool_error`). */
  readonly isError: boolean;
};

const LINGER_MS = 1000;
const RESUME_ATTEMPTS = 3;

/**
 * The gateway's one way to talk to a backend: JSON-RPC over Streamable HTTP
 * on `node:http`, for backends with sessions and without. A call's answer is
 * read from JSON or from the SSE stream (resumed with `Last-Event-ID` when the
 * backend closes a resumable stream early); the notifications and requests on
 * the way go to `onMessage`, which may ask to wait (backpressure) by
 * returning a promise. Nothing the backend sends is held past `maxBytes`.
 */
export class Upstream {
  /** Responses still open after their answer: closed after a grace period, so a socket never leaks. */
  readonly #lingering = new Map<IncomingMessage, number>();
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Sends a request and resolves with the backend's answer to it. */
  async call(call: Call): Promise<Answer> {
    const body = JSON.stringify({
      jsonrpc: "2.0",
      id: call.id,
      method: call.method,
      ...(call.params === undefined ? {} : { params: call.params }),
    });
    let sent = false;
    const cancel = () => {
      // The backend's handler is told, as an SDK client would tell it.
      if (!sent) return;
      void this.notify(call, {
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: call.id, reason: "cancelled by the gateway" },
      }).catch(() => {});
    };
    call.signal.addEventListener("abort", cancel, { once: true });
    try {
      const response = await this.#exchange(call, "POST", body, call.signal, () => {
        sent = true;
      });
      const sessionId = header(response, "mcp-session-id");
      const answer = await this.#answer(call, response);
      return { ...answer, sessionId, isError: answer.envelope.isError };
    } finally {
      call.signal.removeEventListener("abort", cancel);
    }
  }

  /** Posts a notification or a response; resolves once the backend took it. */
  async notify(target: Target, message: object, signal?: AbortSignal): Promise<void> {
    const response = await this.#exchange(target, "POST", JSON.stringify(message), signal);
    response.resume();
    if ((response.statusCode ?? 0) >= 300) throw statusError(target, response);
  }

  /** Ends a backend session (DELETE); failures are ignored, the session dies with its idle timeout. */
  async end(target: Target, signal?: AbortSignal): Promise<void> {
    try {
      const response = await this.#exchange(target, "DELETE", undefined, signal);
      response.resume();
    } catch {
      // The backend is gone or refused: nothing more to do.
    }
  }

  /**
   * Opens the backend session's GET stream: its notifications and requests
   * that belong to no call go to `onMessage`. Resolves with the stream, or
   * undefined when the backend serves none (405).
   */
  async open(
    target: Target,
    options: { lastEventId?: string | undefined; onMessage: OnMessage; maxBytes: number },
  ): Promise<HeldStream | undefined> {
    const controller = new AbortController();
    const response = await this.#exchange(
      target,
      "GET",
      undefined,
      controller.signal,
      undefined,
      options.lastEventId ? { "last-event-id": options.lastEventId } : {},
    );
    const status = response.statusCode ?? 0;
    if (status === 405) {
      response.resume();
      return undefined;
    }
    if (status < 200 || status >= 300 || !isEventStream(response)) {
      response.resume();
      throw statusError(target, response);
    }
    const parser = new SseParser(options.maxBytes);
    const ended = this.#pump(target, response, parser, options.onMessage, () => false);
    return {
      ended: ended.then(
        () => undefined,
        (error: unknown) => error,
      ),
      get lastEventId() {
        return parser.lastEventId;
      },
      close: () => controller.abort(),
    };
  }

  /** Closes responses that stayed open past their grace period. */
  sweep(): void {
    const cutoff = this.#clock.now() - LINGER_MS;
    for (const [response, since] of this.#lingering) {
      if (since > cutoff) continue;
      this.#lingering.delete(response);
      response.destroy();
    }
  }

  close(): void {
    for (const response of this.#lingering.keys()) response.destroy();
    this.#lingering.clear();
  }

  /** One HTTP exchange: resolves with the response once its headers came. */
  #exchange(
    target: Target,
    method: "POST" | "GET" | "DELETE",
    body: string | undefined,
    signal: AbortSignal | undefined,
    onSent?: () => void,
    extra: OutgoingHttpHeaders = {},
  ): Promise<IncomingMessage> {
    const { endpoint } = target;
    return new Promise<IncomingMessage>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const headers = headersFor(
        target,
        body === undefined
          ? extra
          : {
              ...extra,
              "content-type": "application/json",
              "content-length": Buffer.byteLength(body),
            },
      );
      const outgoing = endpoint.request(
        {
          method,
          agent: method === "GET" ? endpoint.streams : endpoint.agent,
          headers,
          ...(signal ? { signal } : {}),
        },
        resolve,
      );
      outgoing.once("error", (error) => {
        if (signal?.aborted) return reject(signal.reason);
        reject(
          new BackendError(
            isNetworkError(error) ? "EBACKENDUNAVAILABLE" : "EBACKENDCLOSED",
            endpoint.label,
            `Backend ${endpoint.label} is unreachable`,
            { cause: error },
          ),
        );
      });
      if (onSent) outgoing.once("finish", onSent);
      outgoing.end(body);
    });
  }

  /** The answer to `call` in `response`: its JSON body, or the event that answers it on its stream. */
  async #answer(call: Call, response: IncomingMessage): Promise<Pick<Answer, "text" | "envelope">> {
    const status = response.statusCode ?? 0;
    if (status === 404 && call.sessionId) {
      response.resume();
      throw new BackendError(
        "EBACKENDSESSIONLOST",
        call.endpoint.label,
        `Backend ${call.endpoint.label} no longer knows the session`,
        { status },
      );
    }
    if (status < 200 || status >= 300) {
      // Never read: a backend's error body may quote secrets.
      response.resume();
      throw statusError(call, response);
    }
    if (!isEventStream(response)) {
      const text = await readCapped(call, response);
      const envelope = readEnvelope(text);
      if (!envelope || envelope.id !== call.id) throw invalid(call);
      return { text, envelope };
    }
    let answer: Pick<Answer, "text" | "envelope"> | undefined;
    let parser = new SseParser(call.maxBytes);
    for (let attempt = 0; ; attempt += 1) {
      await this.#pump(call, response, parser, call.onMessage, (text, envelope) => {
        if (envelope.id !== call.id || envelope.method !== undefined) return false;
        answer = { text, envelope };
        return true;
      }).catch((error: unknown) => {
        if (call.signal.aborted) throw call.signal.reason;
        throw error;
      });
      if (answer) return answer;
      // The stream ended before the answer: a backend with sessions that gave event ids resumes.
      const lastEventId = parser.lastEventId;
      if (!call.sessionId || lastEventId === undefined || attempt >= RESUME_ATTEMPTS)
        throw new BackendError(
          "EBACKENDCLOSED",
          call.endpoint.label,
          `Backend ${call.endpoint.label} closed the stream before answering`,
        );
      const retryMs = Math.min(parser.retryMs ?? 0, 1000);
      if (retryMs > 0)
        await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, retryMs));
      response = await this.#exchange(call, "GET", undefined, call.signal, undefined, {
        "last-event-id": lastEventId,
      });
      if ((response.statusCode ?? 0) !== 200 || !isEventStream(response)) {
        response.resume();
        throw statusError(call, response);
      }
      const previous = parser;
      parser = new SseParser(call.maxBytes);
      parser.lastEventId = previous.lastEventId;
    }
  }

  /**
   * Reads `response`'s events until it ends or `isAnswer` takes one: the
   * others go to `onMessage`, and the stream pauses while it waits. After the
   * answer the rest drains (or is cut after a grace period).
   */
  #pump(
    target: Target,
    response: IncomingMessage,
    parser: SseParser,
    onMessage: OnMessage,
    isAnswer: (text: string, envelope: Envelope) => boolean,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (error?: unknown) => {
        if (done) return;
        done = true;
        response.off("data", onData);
        response.off("end", onEnd);
        response.off("close", onClose);
        response.off("error", onClose);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onEvent = (event: { event: string; data: string }) => {
        if (done || event.event !== "message" || event.data === "") return;
        const envelope = readEnvelope(event.data);
        if (!envelope) return;
        if (isAnswer(event.data, envelope)) {
          finish();
          this.#linger(response);
          return;
        }
        const waiting = onMessage(event.data, envelope);
        if (waiting) {
          response.pause();
          void waiting.finally(() => {
            if (!response.destroyed) response.resume();
          });
        }
      };
      parser.onEvent = onEvent;
      const onData = (chunk: Buffer) => {
        try {
          parser.push(chunk);
        } catch (error) {
          response.destroy();
          finish(
            error instanceof EventTooLargeError
              ? new BackendError(
                  "EBACKENDTOOLARGE",
                  target.endpoint.label,
                  `Backend ${target.endpoint.label} sent a message larger than ${error.limitBytes} bytes`,
                )
              : error,
          );
        }
      };
      const onEnd = () => finish();
      const onClose = () =>
        finish(
          new BackendError(
            "EBACKENDCLOSED",
            target.endpoint.label,
            `Backend ${target.endpoint.label} closed the stream before answering`,
          ),
        );
      response.on("data", onData);
      response.once("end", onEnd);
      response.once("close", onClose);
      response.once("error", onClose);
    });
  }

  #linger(response: IncomingMessage): void {
    if (response.complete) return;
    this.#lingering.set(response, this.#clock.now());
    response.once("close", () => this.#lingering.delete(response));
    response.resume();
  }
}

/** A backend session's GET stream, held for the client's. */
export type HeldStream = {
  /** Settles when the stream ends: undefined when it ended cleanly, else why it broke. */
  readonly ended: Promise<unknown>;
  readonly lastEventId: string | undefined;
  close(): void;
};

function header(response: IncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return typeof value === "string" ? value : undefined;
}

const isEventStream = (response: IncomingMessage) =>
  (response.headers["content-type"] ?? "").includes("text/event-stream");

function statusError(target: Target, response: IncomingMessage): BackendError {
  const status = response.statusCode ?? 0;
  return new BackendError(
    "EBACKENDSTATUS",
    target.endpoint.label,
    status >= 500
      ? `Backend ${target.endpoint.label} failed (HTTP ${status})`
      : `Backend ${target.endpoint.label} refused the request (HTTP ${status})`,
    { status },
  );
}

function invalid(target: Target): BackendError {
  return new BackendError(
    "EBACKENDINVALID",
    target.endpoint.label,
    `Backend ${target.endpoint.label} answered with something other than JSON-RPC`,
  );
}

/** A JSON body, read up to `maxBytes`: beyond it the response is cut, never held whole. */
function readCapped(call: Call, response: IncomingMessage): Promise<string> {
  const declared = Number(response.headers["content-length"] ?? 0);
  const tooLarge = () =>
    new BackendError(
      "EBACKENDTOOLARGE",
      call.endpoint.label,
      `Backend ${call.endpoint.label} sent a message larger than ${call.maxBytes} bytes`,
    );
  if (declared > call.maxBytes) {
    response.destroy();
    return Promise.reject(tooLarge());
  }
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > call.maxBytes) {
        response.destroy();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    response.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    response.once("close", () => {
      if (!response.complete)
        reject(
          call.signal.aborted
            ? call.signal.reason
            : new BackendError(
                "EBACKENDCLOSED",
                call.endpoint.label,
                `Backend ${call.endpoint.label} closed the connection before answering`,
              ),
        );
    });
  });
}
