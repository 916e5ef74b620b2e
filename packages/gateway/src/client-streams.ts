import type { ServerResponse } from "node:http";
import type { EventStore } from "./event-store.ts";
import type { RequestId } from "./json-rpc.ts";
import { SSE_KEEP_ALIVE, sseEvent, sseIdOnly } from "./sse.ts";

/** Where a resumable stream's events are kept: the session and the stream's own id. */
export type StreamLog = {
  readonly events: EventStore;
  readonly session: string;
  readonly stream: string;
  /** Whether the client reads priming events (2025-11-25 and later). */
  readonly primes: boolean;
  readonly retryMs: number;
};

/** An event id: the stream's id and the event's number in it. */
export const eventId = (stream: string, seq: number): string => `${stream}_${seq}`;

/** The stream and number of an event id, or undefined when it is not one of ours. */
export function parseEventId(id: string): { stream: string; seq: number } | undefined {
  const match = /^([0-9a-f]{8}\.g?[0-9a-z]+)_(\d+)$/.exec(id);
  return match ? { stream: match[1] as string, seq: Number(match[2]) } : undefined;
}

/** Resolves when `res` can take more (or is gone): a write's backpressure. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}

const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  connection: "keep-alive",
};

/**
 * The response to one POST that carries requests. Answers go out as one JSON
 * body when they are all that is sent (one write); the first notification or
 * request for the client, or a call that takes long, turns it into an SSE
 * stream, resumable (event ids, events kept in the store) when the client has
 * a session.
 */
export class Exchange {
  readonly #res: ServerResponse;
  readonly #headers: Record<string, string>;
  readonly #batch: boolean;
  readonly #log: StreamLog | undefined;
  readonly #waiting = new Map<string, RequestId>();
  readonly #answers: string[] = [];
  readonly #onGone: Array<() => void> = [];
  #mode: "json" | "sse" | "done" = "json";
  #seq = 0;
  /** When the exchange began, on the gateway's clock. */
  readonly startedAt: number;

  constructor(
    res: ServerResponse,
    options: {
      headers: Record<string, string>;
      batch: boolean;
      log: StreamLog | undefined;
      startedAt: number;
    },
  ) {
    this.#res = res;
    this.#headers = options.headers;
    this.#batch = options.batch;
    this.#log = options.log;
    this.startedAt = options.startedAt;
    res.once("close", () => {
      if (this.#mode === "done") return;
      // A resumable stream lives on for a resumption; anything else stops its calls.
      if (this.#mode === "sse" && this.#log) return;
      this.#mode = "done";
      for (const listener of this.#onGone) listener();
    });
  }

  /** Whether the exchange still streams or waits (a call in it still has somewhere to answer). */
  get open(): boolean {
    return this.#mode !== "done";
  }

  /** Whether it still answers as JSON (nothing streamed yet). */
  get waitingAsJson(): boolean {
    return this.#mode === "json";
  }

  /** Runs `listener` if the client leaves before the exchange is done (not for a resumable stream). */
  onGone(listener: () => void): void {
    this.#onGone.push(listener);
  }

  /** A request of this POST that will be answered. */
  expect(id: RequestId): void {
    this.#waiting.set(JSON.stringify(id), id);
  }

  /** The answer to `id`. */
  answer(id: RequestId, text: string): void {
    if (!this.#waiting.delete(JSON.stringify(id))) return;
    if (this.#mode === "sse") this.#event(text);
    else if (this.#mode === "json") this.#answers.push(text);
    this.#finishIfDone();
  }

  /** An answer to no request of this POST (an invalid message's error). */
  add(text: string): void {
    if (this.#mode === "sse") this.#event(text);
    else if (this.#mode === "json") this.#answers.push(text);
  }

  /** Ends the exchange once every expected answer is in (after `add` alone). */
  finish(): void {
    this.#finishIfDone();
  }

  /** No answer will come for `id` (the client cancelled it). */
  drop(id: RequestId): void {
    if (this.#waiting.delete(JSON.stringify(id))) this.#finishIfDone();
  }

  /** A notification or request for the client, on the way to an answer: streams. */
  send(text: string): undefined | Promise<void> {
    if (this.#mode === "done") return undefined;
    this.stream();
    return this.#event(text);
  }

  /** Turns the answer into an SSE stream now (a call that takes long gets a resumable stream). */
  stream(): void {
    if (this.#mode !== "json") return;
    this.#mode = "sse";
    const res = this.#res;
    res.writeHead(200, { ...SSE_HEADERS, ...this.#headers });
    const log = this.#log;
    if (log) {
      // The stream's first record names the requests it answers, for a resumption elsewhere.
      log.events.append(log.session, log.stream, 0, JSON.stringify([...this.#waiting.values()]));
      if (log.primes) res.write(sseIdOnly(eventId(log.stream, 0), log.retryMs));
    }
    for (const answer of this.#answers.splice(0)) this.#event(answer);
  }

  /** A comment on an idle stream, so proxies keep it. */
  keepAlive(): void {
    if (this.#mode === "sse" && !this.#res.writableEnded) this.#res.write(SSE_KEEP_ALIVE);
  }

  #event(text: string): undefined | Promise<void> {
    const log = this.#log;
    let chunk: string;
    if (log) {
      this.#seq += 1;
      log.events.append(log.session, log.stream, this.#seq, text);
      chunk = sseEvent(text, eventId(log.stream, this.#seq));
    } else chunk = sseEvent(text);
    const res = this.#res;
    if (res.writableEnded || res.destroyed) return undefined;
    return res.write(chunk) ? undefined : drained(res);
  }

  #finishIfDone(): void {
    if (this.#waiting.size > 0 || this.#mode === "done") return;
    const res = this.#res;
    if (this.#mode === "sse") {
      this.#mode = "done";
      if (!res.writableEnded) res.end();
      return;
    }
    this.#mode = "done";
    if (res.writableEnded || res.destroyed) return;
    if (this.#answers.length === 0) {
      res.writeHead(202, this.#headers).end();
      return;
    }
    const body = this.#batch ? `[${this.#answers.join(",")}]` : (this.#answers[0] as string);
    res
      .writeHead(200, {
        ...this.#headers,
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(body)),
      })
      .end(body);
  }

  /** Ends the exchange now (shutdown): what was not answered gets no answer here. */
  end(): void {
    if (this.#mode === "done") return;
    this.#waiting.clear();
    if (this.#mode === "json") this.#res.writeHead(503, { "retry-after": "1" }).end();
    else this.#res.end();
    this.#mode = "done";
  }
}

/**
 * A session's standalone SSE stream (the client's GET): notifications and
 * requests that belong to no call. Resumable: each event has an id and is
 * kept in the store.
 */
export class ClientStream {
  readonly #res: ServerResponse;
  readonly #log: StreamLog;
  #seq = 0;
  #ended = false;

  constructor(res: ServerResponse, headers: Record<string, string>, log: StreamLog) {
    this.#res = res;
    this.#log = log;
    res.writeHead(200, { ...SSE_HEADERS, ...headers });
    res.write(log.primes ? sseIdOnly(eventId(log.stream, 0), log.retryMs) : SSE_KEEP_ALIVE);
    res.once("close", () => {
      this.#ended = true;
    });
  }

  get ended(): boolean {
    return this.#ended || this.#res.destroyed;
  }

  /** Runs `listener` once the stream is gone (the client left, or `end()`). */
  onEnd(listener: () => void): void {
    if (this.ended) queueMicrotask(listener);
    else this.#res.once("close", listener);
  }

  /** Writes events replayed from the store (already numbered in their own stream). */
  replay(stream: string, events: ReadonlyArray<{ seq: number; text: string }>): void {
    for (const { seq, text } of events) this.#res.write(sseEvent(text, eventId(stream, seq)));
  }

  send(text: string): undefined | Promise<void> {
    if (this.ended) return undefined;
    this.#seq += 1;
    const log = this.#log;
    log.events.append(log.session, log.stream, this.#seq, text);
    return this.#res.write(sseEvent(text, eventId(log.stream, this.#seq)))
      ? undefined
      : drained(this.#res);
  }

  keepAlive(): void {
    if (!this.ended) this.#res.write(SSE_KEEP_ALIVE);
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#res.end();
  }
}
