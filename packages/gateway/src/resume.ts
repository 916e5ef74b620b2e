import type { ServerResponse } from "node:http";
import { eventId } from "./client-streams.ts";
import type { GatewayCore } from "./core.ts";
import { ERROR, errorText, type RequestId, readEnvelope } from "./json-rpc.ts";
import { SSE_KEEP_ALIVE, sseEvent } from "./sse.ts";

// How often a stream resumed on another replica than the call's looks for new events.
const POLL_MS = 250;

/**
 * Resumes a call's SSE stream (a POST's) from the store, on whichever replica
 * the client reached: what the client missed is replayed, then new events
 * follow until every request of the stream is answered. When the replica that
 * ran the call is gone (killed), each unanswered request is answered with an
 * error, so the client learns at once that it must send it again. A stream
 * already fully delivered answers 204, so the client stops reconnecting.
 */
export async function resumeCallStream(
  core: GatewayCore,
  res: ServerResponse,
  session: string,
  stream: string,
  afterSeq: number,
  headers: Record<string, string>,
): Promise<void> {
  const { events, bus, clock, settings } = core;
  const owner = stream.slice(0, stream.indexOf("."));
  let last = afterSeq;
  let started = false;
  let wroteAt = clock.now();
  const startedAt = clock.now();
  let closed = false;
  res.once("close", () => {
    closed = true;
  });
  let wake: (() => void) | undefined;
  const stopListening = events.onAppend((appendedSession, appendedStream) => {
    if (appendedSession === session && appendedStream === stream) wake?.();
  });
  try {
    for (;;) {
      const stored = await events.read(session, stream);
      if (stored === undefined || stored.length === 0 || stored[0]?.seq !== 0) {
        // Nothing kept of this stream (expired, or the store is unreachable): nothing to resume.
        if (!started) res.writeHead(stored === undefined ? 503 : 404).end();
        else res.end();
        return;
      }
      const ids = JSON.parse((stored[0] as { text: string }).text) as RequestId[];
      const answered = new Set<string>();
      const fresh = [];
      for (const event of stored.slice(1)) {
        const envelope = readEnvelope(event.text);
        if (envelope?.id !== undefined && envelope.method === undefined)
          answered.add(JSON.stringify(envelope.id));
        if (event.seq > last) fresh.push(event);
      }
      const complete = ids.every((id) => answered.has(JSON.stringify(id)));
      if (!started) {
        if (complete && fresh.length === 0) {
          res.writeHead(204).end();
          return;
        }
        res.writeHead(200, {
          "content-type": "text/event-stream",
          "cache-control": "no-cache",
          ...headers,
        });
        started = true;
      }
      for (const event of fresh) {
        res.write(sseEvent(event.text, eventId(stream, event.seq)));
        last = event.seq;
        wroteAt = clock.now();
      }
      if (complete || closed) {
        res.end();
        return;
      }
      if (!(await bus.alive(owner))) {
        for (const id of ids) {
          if (answered.has(JSON.stringify(id))) continue;
          res.write(
            sseEvent(
              errorText(
                id,
                ERROR.internal,
                "The gateway replica running this request stopped before it answered; send the request again",
              ),
            ),
          );
        }
        res.end();
        return;
      }
      if (clock.now() - startedAt > settings.maxCallMs) {
        res.end();
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = clock.setTimeout(() => resolve(), owner === bus.replica ? 15_000 : POLL_MS);
        wake = () => {
          clock.clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
      if (!closed && clock.now() - wroteAt > 15_000) {
        res.write(SSE_KEEP_ALIVE);
        wroteAt = clock.now();
      }
    }
  } finally {
    stopListening();
  }
}
