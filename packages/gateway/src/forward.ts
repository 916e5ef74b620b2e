import type { Backend } from "./backend.ts";
import type { CallContext } from "./call-context.ts";
import type { GatewayCore } from "./core.ts";
import type { Target } from "./endpoint.ts";
import { BackendError } from "./errors.ts";
import type { Params } from "./json-rpc.ts";
import { type RelayTarget, relay } from "./relay.ts";
import { traceForward } from "./tracing.ts";
import type { Answer } from "./upstream.ts";

/** The backend's answer was a JSON-RPC error: the client gets it as the backend sent it. */
export class RelayedError extends Error {
  override readonly name = "RelayedError";
  /** The backend's error code (what spans record as `error.type`). */
  readonly code: number;
  /** The whole error response, as the backend sent it (its id is the client's). */
  readonly text: string;
  constructor(answer: Answer) {
    super(answer.envelope.error?.message ?? "error");
    this.code = answer.envelope.error?.code ?? -32603;
    this.text = answer.text;
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
