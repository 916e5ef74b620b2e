import type { EventStore } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

type StoredEvent = { readonly streamId: string; readonly message: JSONRPCMessage };

/**
 * An in-memory event store for one Streamable HTTP session: what lets a client that lost its
 * SSE stream resume with `Last-Event-ID`. Keeps the newest `maxEvents` events; older ones are
 * dropped first, so a long session cannot grow it without bound.
 */
export function createMemoryEventStore(maxEvents = 1000): EventStore {
  const events = new Map<string, StoredEvent>();
  let counter = 0;
  return {
    async storeEvent(streamId, message) {
      counter += 1;
      const eventId = `${streamId}.${counter}`;
      events.set(eventId, { streamId, message });
      if (events.size > maxEvents) {
        const oldest = events.keys().next().value;
        if (oldest !== undefined) events.delete(oldest);
      }
      return eventId;
    },
    async getStreamIdForEventId(eventId) {
      return events.get(eventId)?.streamId;
    },
    async replayEventsAfter(lastEventId, { send }) {
      const last = events.get(lastEventId);
      if (!last) return "";
      let after = false;
      for (const [eventId, event] of events) {
        if (eventId === lastEventId) {
          after = true;
          continue;
        }
        if (after && event.streamId === last.streamId) await send(eventId, event.message);
      }
      return last.streamId;
    },
  };
}
