import type { Backend } from "./backend.ts";
import { exposedUri } from "./catalog.ts";
import type { Target } from "./endpoint.ts";
import { type Envelope, ERROR, type Params, type RequestId, resultText } from "./json-rpc.ts";
import type { Upstream } from "./upstream.ts";

/** Where a backend's messages for one client go: a call's exchange, or the session's GET stream. */
export type RelayTarget = {
  /** The client's capabilities: a backend request the client cannot answer is answered here. */
  readonly capabilities: Params;
  /** The client request the messages belong to (none on the GET stream). */
  readonly callId: RequestId | null;
  /** The progress token the gateway added (its progress is not the client's). */
  readonly ownProgressToken: string | undefined;
  /** The backend session the messages came on, to answer the backend's requests. */
  readonly backendTarget: Target;
  send(text: string): undefined | Promise<void>;
  /** Progress came for the call: its timeout starts over. */
  progressed(): void;
};

/** The capability a client declares to take each backend request. */
const REQUEST_CAPABILITY: Readonly<Record<string, string>> = {
  "sampling/createMessage": "sampling",
  "elicitation/create": "elicitation",
  "roots/list": "roots",
};

/**
 * A relayed request's id as the client sees it: the backend, the call and
 * the backend's own id, so that the client's answer, on whichever replica it
 * lands, finds the backend session that waits for it.
 */
export const relayId = (label: string, callId: RequestId | null, backendId: RequestId): string =>
  `gw.${Buffer.from(JSON.stringify([label, callId, backendId])).toString("base64url")}`;

/** The backend and backend id of a relayed request's id, or undefined when it is not one. */
export function parseRelayId(id: RequestId): { label: string; backendId: RequestId } | undefined {
  if (typeof id !== "string" || !id.startsWith("gw.") || id.length > 2000) return undefined;
  try {
    const [label, , backendId] = JSON.parse(Buffer.from(id.slice(3), "base64url").toString("utf8"));
    if (typeof label !== "string") return undefined;
    if (typeof backendId !== "string" && typeof backendId !== "number") return undefined;
    return { label, backendId };
  } catch {
    return undefined;
  }
}

/**
 * The one relay of backend messages to a client: progress moves the call's
 * timeout and reaches the client only under its own token; resource URIs are
 * exposed under the backend's prefix; `list_changed` re-reads the backend's
 * lists (the gateway announces its own); the backend's requests go to the
 * client under a relay id, or are answered here when the client did not
 * declare the capability they need. Returns a promise while the client's
 * stream is full, so the backend's stream waits.
 */
export function relay(
  upstream: Upstream,
  target: RelayTarget,
  backend: Backend,
  text: string,
  envelope: Envelope,
  onListChanged: (backend: Backend) => void,
): undefined | Promise<void> {
  const method = envelope.method;
  if (method === undefined) return undefined;
  if (envelope.id !== undefined) {
    const answerBackend = (answer: string) => {
      void upstream.notify(target.backendTarget, JSON.parse(answer)).catch(() => {});
      return undefined;
    };
    if (method === "ping") return answerBackend(resultText(envelope.id, {}));
    const capability = REQUEST_CAPABILITY[method];
    if (!capability || target.capabilities[capability] === undefined)
      return answerBackend(
        JSON.stringify({
          jsonrpc: "2.0",
          id: envelope.id,
          error: { code: ERROR.methodNotFound, message: `The client does not take ${method}` },
        }),
      );
    const message = JSON.parse(text) as { id: RequestId };
    message.id = relayId(backend.label, target.callId, envelope.id);
    return target.send(JSON.stringify(message));
  }
  if (method === "notifications/progress") {
    target.progressed();
    const token = (JSON.parse(text) as { params?: { progressToken?: unknown } }).params
      ?.progressToken;
    if (token === target.ownProgressToken) return undefined;
    return target.send(text);
  }
  if (method.endsWith("/list_changed")) {
    onListChanged(backend);
    return undefined;
  }
  if (method === "notifications/resources/updated" && backend.prefix !== undefined) {
    const message = JSON.parse(text) as { params?: { uri?: unknown } };
    if (message.params && typeof message.params.uri === "string")
      message.params.uri = exposedUri(backend, message.params.uri);
    return target.send(JSON.stringify(message));
  }
  return target.send(text);
}
