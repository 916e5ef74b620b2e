import type { Backend } from "./backend.ts";
import type { CallContext } from "./call-context.ts";
import type { GatewayCore } from "./core.ts";
import type { Target } from "./endpoint.ts";
import { BackendError } from "./errors.ts";
import { errorText, type Params, type RequestId, resultText } from "./json-rpc.ts";
import { type RelayTarget, relay } from "./relay.ts";
import { traceForward } from "./tracing.ts";
import type { Answer } from "./upstream.ts";

/** The prefix an MCP SDK puts before an error's message, which the client's SDK adds again. */
const SDK_PREFIX = /^(?:MCP error -?\d+: )+/;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `message` naming the tool `to` (the client's name) where it named `from` (the backend's). */
function naming(message: string, from: string, to: string): string {
  if (from === to) return message;
  return message.replace(new RegExp(`(?<![\\w.-])${escapeRegExp(from)}(?![\\w-])`, "g"), to);
}

/** Largest error result whose text is read to name the client's tool in it. */
const MAX_RENAMED_BYTES = 65_536;

/**
 * The text of a backend's `isError` tool result for the client: where the
 * backend's SDK turned a protocol error into a result (`MCP error -32602:
 * Tool forecast not found`, an input validation error), it names the tool
 * the client called (`weather2.forecast`). Any other result goes on as it came.
 */
export function errorResultText(id: RequestId, text: string, from: string, to: string): string {
  if (from === to || text.length > MAX_RENAMED_BYTES) return text;
  let message: { result?: { content?: unknown } };
  try {
    message = JSON.parse(text);
  } catch {
    return text;
  }
  const content = message.result?.content;
  if (!Array.isArray(content)) return text;
  let changed = false;
  const renamed = content.map((part: unknown) => {
    const item = part as { type?: unknown; text?: unknown };
    if (item?.type !== "text" || typeof item.text !== "string" || !SDK_PREFIX.test(item.text))
      return part;
    const named = naming(item.text, from, to);
    changed ||= named !== item.text;
    return { ...item, text: named };
  });
  return changed ? resultText(id, { ...message.result, content: renamed }) : text;
}

/**
 * The backend's answer was a JSON-RPC error: the client gets it with the
 * backend's code and data, its message without the `MCP error <code>: ` the
 * backend's SDK put in front (the client's SDK adds its own: one, not two),
 * and naming the tool the client called where it named the backend's.
 */
export class RelayedError extends Error {
  override readonly name = "RelayedError";
  /** The backend's error code (what spans record as `error.type`). */
  readonly code: number;
  /** The whole error response, as the backend sent it (its id is the client's). */
  readonly text: string;
  readonly #data: unknown;
  readonly #sent: string;
  constructor(answer: Answer) {
    const sent = answer.envelope.error?.message ?? "error";
    super(sent.replace(SDK_PREFIX, ""));
    this.code = answer.envelope.error?.code ?? -32603;
    this.text = answer.text;
    this.#data = answer.envelope.error?.data;
    this.#sent = sent;
  }

  /** The error names the tool `from` as the backend knows it: say `to`, the client's name. */
  rename(from: string, to: string): void {
    this.message = naming(this.message, from, to);
  }

  /** The error response for the client: the backend's own text when nothing needed changing. */
  answerText(id: RequestId): string {
    if (this.message === this.#sent) return this.text;
    return errorText(id, this.code, this.message, this.#data);
  }
}

/** The deepest nesting of a JSON value, stopping once past `limit`. */
export function depthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (typeof item !== "object" || item === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

/** `params` with a progress token, so that progress moves the timeout (the client's own one kept). */
function withProgressToken(ctx: CallContext, params: Params): Params {
  if (ctx.progressToken !== undefined) return params;
  return { ...params, _meta: { ...ctx._meta, progressToken: ctx.ownProgressToken } };
}

/**
 * Forwards one request of a call to `backend`, the one way every request
 * takes: under the backend's breaker and the caller's share of connections,
 * within the call's timeout (from acceptance), on the client's backend session
 * when the backend has sessions (a new one, once, if the backend forgot it),
 * with the backend's messages on the way relayed to the client. Resolves with
 * the backend's answer; its JSON-RPC error rejects as a {@link RelayedError}.
 */
export async function forward(
  core: GatewayCore,
  ctx: CallContext,
  backend: Backend,
  method: string,
  params: Params,
): Promise<Answer> {
  ctx.arm(backend.label, backend.callTimeoutMs, core.settings.maxCallMs);
  const leave = core.shares.enter(ctx.identity, backend);
  const forwarded = withProgressToken(ctx, params);
  const send = (target: Target) =>
    traceForward(backend, method, forwarded, target.sessionId, (traced) => {
      const relayTarget: RelayTarget = {
        capabilities: ctx.capabilities,
        callId: ctx.id,
        ownProgressToken: ctx.progressToken === undefined ? ctx.ownProgressToken : undefined,
        backendTarget: target,
        send: (text) => ctx.exchange.send(text),
        progressed: () => ctx.progressed(),
      };
      return core.upstream
        .call({
          ...target,
          id: ctx.id,
          method,
          params: traced ?? forwarded,
          signal: ctx.signal,
          onMessage: (text, envelope) =>
            relay(core.upstream, relayTarget, backend, text, envelope, core.onListChanged),
          maxBytes: core.settings.maxResultBytes,
        })
        .then((answer) => {
          // Thrown inside the CLIENT span, so the span records the backend's code.
          if (answer.envelope.error) throw new RelayedError(answer);
          return answer;
        });
    });
  try {
    return await backend.breaker.execute(() => onSession(core, ctx, backend, send), {
      signal: ctx.signal,
    });
  } catch (error) {
    // Unreachable or broken, not merely slow: reconnect in the background.
    if (
      BackendError.isInstance(error) &&
      (error.code === "EBACKENDUNAVAILABLE" || error.code === "EBACKENDCLOSED") &&
      !ctx.signal.aborted
    )
      backend.markDown();
    throw error;
  } finally {
    leave();
  }
}

/** Runs `send` on the right backend session: none, the client's own, or one just for this request. */
async function onSession(
  core: GatewayCore,
  ctx: CallContext,
  backend: Backend,
  send: (target: Target) => Promise<Answer>,
): Promise<Answer> {
  const { endpoint } = backend;
  if (!backend.stateful)
    return send({ endpoint, protocolVersion: backend.protocolVersion, identity: ctx.caller });
  const session = ctx.session;
  if (!session) {
    // A client without a session: a backend session for this request alone.
    const opened = await backend.initialize(ctx.caller, ctx.capabilities, ctx.signal);
    const target: Target = {
      endpoint,
      sessionId: opened.sessionId,
      protocolVersion: opened.protocolVersion,
      identity: ctx.caller,
    };
    try {
      return await send(target);
    } finally {
      if (opened.sessionId) void core.upstream.end(target);
    }
  }
  const sessions = core.backendSessions;
  const ref = await sessions.acquire(session, backend, ctx.caller, ctx.signal);
  try {
    return await send(sessions.target(backend, ref, ctx.caller));
  } catch (error) {
    if (!BackendError.isInstance(error) || error.code !== "EBACKENDSESSIONLOST") throw error;
    const replaced = await sessions.replace(session, backend, ref, ctx.caller, ctx.signal);
    return send(sessions.target(backend, replaced, ctx.caller));
  }
}
