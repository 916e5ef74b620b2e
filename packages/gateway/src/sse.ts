import { StringDecoder } from "node:string_decoder";

/** One server-sent event as read from a stream. */
export type SseEvent = {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
};

/** An event larger than the parser's limit: its bytes were dropped as they came, never held whole. */
export class EventTooLargeError extends Error {
  override readonly name = "EventTooLargeError";
  readonly limitBytes: number;
  constructor(limitBytes: number) {
    super(`A message exceeded ${limitBytes} bytes`);
    this.limitBytes = limitBytes;
  }
}

/**
 * A server-sent-events parser that costs time linear in what it reads: each
 * chunk is scanned once for line ends, and a line that spans chunks is kept as
 * pieces joined once when it ends. `maxEventBytes` bounds one event: past it
 * the parser throws {@link EventTooLargeError} without holding the event.
 */
export class SseParser {
  /** Where each complete event goes. */
  onEvent: (event: SseEvent) => void = () => {};
  readonly #maxEventBytes: number;
  readonly #decoder = new StringDecoder("utf8");
  #pieces: string[] = [];
  #afterCarriageReturn = false;
  #eventBytes = 0;
  #data: string[] = [];
  #id: string | undefined;
  #event = "message";
  /** The last `id:` seen, carried across events as the SSE specification says. */
  lastEventId: string | undefined;
  /** The last `retry:` the server asked for, in milliseconds. */
  retryMs: number | undefined;

  constructor(maxEventBytes: number) {
    this.#maxEventBytes = maxEventBytes;
  }

  push(chunk: Buffer): void {
    this.#eventBytes += chunk.length;
    if (this.#eventBytes > this.#maxEventBytes) throw new EventTooLargeError(this.#maxEventBytes);
    const text = this.#decoder.write(chunk);
    let start = 0;
    if (this.#afterCarriageReturn && text.charCodeAt(0) === 0x0a) start = 1;
    this.#afterCarriageReturn = false;
    // Each search runs once past its find, so a chunk is scanned in linear time.
    let lineFeed = text.indexOf("\n", start);
    let carriageReturn = text.indexOf("\r", start);
    while (lineFeed >= 0 || carriageReturn >= 0) {
      const at =
        carriageReturn < 0
          ? lineFeed
          : lineFeed < 0
            ? carriageReturn
            : Math.min(lineFeed, carriageReturn);
      this.#pieces.push(text.slice(start, at));
      const line = this.#pieces.length === 1 ? (this.#pieces[0] as string) : this.#pieces.join("");
      this.#pieces = [];
      let next = at + 1;
      if (at === carriageReturn) {
        if (next === text.length) this.#afterCarriageReturn = true;
        else if (text.charCodeAt(next) === 0x0a) next += 1;
      }
      start = next;
      if (lineFeed >= 0 && lineFeed < start) lineFeed = text.indexOf("\n", start);
      if (carriageReturn >= 0 && carriageReturn < start) carriageReturn = text.indexOf("\r", start);
      this.#line(line);
    }
    if (start < text.length) this.#pieces.push(text.slice(start));
  }

  #line(line: string): void {
    if (line === "") {
      this.#dispatch();
      return;
    }
    if (line.charCodeAt(0) === 0x3a) return; // a comment (keep-alive)
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    if (field === "data") this.#data.push(value);
    else if (field === "id" && !value.includes("\0")) this.#id = value;
    else if (field === "event") this.#event = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
  }

  #dispatch(): void {
    const id = this.#id;
    if (id !== undefined) this.lastEventId = id;
    const data = this.#data.length === 1 ? (this.#data[0] as string) : this.#data.join("\n");
    const event = this.#event;
    const hadData = this.#data.length > 0;
    this.#data = [];
    this.#id = undefined;
    this.#event = "message";
    this.#eventBytes = 0;
    if (hadData || id !== undefined) this.onEvent({ id, event, data });
  }
}

/**
 * One event as written to a client: each line of `data` on its own `data:`
 * line, so a message holding a line break cannot end the event early or add
 * one of its own.
 */
export function sseEvent(data: string, id?: string): string {
  const head = id === undefined ? "event: message\n" : `event: message\nid: ${id}\n`;
  if (!/[\r\n]/.test(data)) return `${head}data: ${data}\n\n`;
  return `${head}${data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}`)
    .join("\n")}\n\n`;
}

/** The priming event of a resumable stream: an id and no data, and how soon to reconnect. */
export const sseIdOnly = (id: string, retryMs?: number): string =>
  `${retryMs === undefined ? "" : `retry: ${retryMs}\n`}id: ${id}\ndata: \n\n`;

/** A comment line that keeps an idle stream from being cut by a proxy. */
export const SSE_KEEP_ALIVE = ": keep-alive\n\n";
