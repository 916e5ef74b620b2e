import { backoffDelay } from "@mcp-prod/internal";
import type { Caller } from "./auth.ts";
import type { Backend } from "./backend.ts";
import type { Clock } from "./clock.ts";
import type { Target } from "./endpoint.ts";
import { BackendError } from "./errors.ts";
import type { Envelope } from "./json-rpc.ts";
import type { BackendRef } from "./session-store.ts";
import type { LocalSession, Sessions } from "./sessions.ts";
import type { Upstream } from "./upstream.ts";

export type BackendSessionsSettings = {
  readonly upstream: Upstream;
  readonly sessions: Sessions;
  readonly clock: Clock;
  readonly maxResultBytes: number;
  readonly backend: (label: string) => Backend | undefined;
  /** A message on a held backend stream, for the session's GET stream. */
  readonly toStream: (
    session: LocalSession,
    backend: Backend,
    target: Target,
    text: string,
    envelope: Envelope,
  ) => undefined | Promise<void>;
};

const HOLD_RETRIES = 5;

/**
 * Each client session's own sessions on the backends that have them: opened
 * on first use (declaring the client's capabilities, carrying its identity),
 * shared by every replica through the session record, opened anew when the
 * backend forgot one (the old one is closed), and their GET streams held on
 * the replica that holds the client's.
 */
export class BackendSessions {
  readonly #settings: BackendSessionsSettings;
  /** Backend sessions being opened here, so that concurrent calls open one. */
  readonly #opening = new Map<string, Promise<BackendRef>>();

  constructor(settings: BackendSessionsSettings) {
    this.#settings = settings;
  }

  target(backend: Backend, ref: BackendRef, caller: Caller | undefined): Target {
    return {
      endpoint: backend.endpoint,
      sessionId: ref.id,
      protocolVersion: ref.version,
      identity: caller,
    };
  }

  /** The session's backend session on `backend`, opened now if it has none. */
  acquire(
    session: LocalSession,
    backend: Backend,
    caller: Caller | undefined,
    signal: AbortSignal,
  ): Promise<BackendRef> {
    const stored = session.record.backends[backend.label];
    if (stored) return Promise.resolve(stored);
    return this.#once(session, backend, () =>
      this.#open(session, backend, undefined, caller, signal),
    );
  }

  /** The backend forgot `lost` (it restarted): a new backend session replaces it, once. */
  replace(
    session: LocalSession,
    backend: Backend,
    lost: BackendRef,
    caller: Caller | undefined,
    signal: AbortSignal,
  ): Promise<BackendRef> {
    return this.#once(session, backend, async () => {
      // Another replica may have replaced it already.
      const fresh = (await this.#settings.sessions.refresh(session.key)) ?? session;
      const current = fresh.record.backends[backend.label];
      if (current && current.id !== lost.id) return current;
      const next = await this.#open(session, backend, lost.id, caller, signal);
      // The old one is closed: its held stream was replaced, and it gets its DELETE.
      void this.#settings.upstream.end(this.target(backend, lost, caller));
      return next;
    });
  }

  #once(
    session: LocalSession,
    backend: Backend,
    open: () => Promise<BackendRef>,
  ): Promise<BackendRef> {
    const key = `${session.key}|${backend.label}`;
    let pending = this.#opening.get(key);
    if (!pending) {
      pending = open().finally(() => this.#opening.delete(key));
      this.#opening.set(key, pending);
    }
    return pending;
  }

  async #open(
    session: LocalSession,
    backend: Backend,
    expected: string | undefined,
    caller: Caller | undefined,
    signal: AbortSignal,
  ): Promise<BackendRef> {
    const { sessionId, protocolVersion } = await backend.initialize(
      caller,
      session.record.capabilities,
      signal,
    );
    if (!sessionId)
      throw new BackendError(
        "EBACKENDINVALID",
        backend.label,
        `Backend ${backend.label} no longer issues sessions`,
      );
    const mine: BackendRef = { id: sessionId, version: protocolVersion };
    const stored = await this.#settings.sessions.swapBackend(
      session,
      backend.label,
      expected,
      mine,
    );
    if (!stored || stored.id !== mine.id) {
      // Another replica opened one first: use it, end ours.
      void this.#settings.upstream.end(this.target(backend, mine, caller));
      if (stored) return stored;
      throw new BackendError("EBACKENDSESSIONLOST", backend.label, "The session ended");
    }
    await this.#restore(session, backend, mine, caller, signal);
    if (session.stream) this.hold(session, caller);
    return mine;
  }

  /** A new backend session gets the client's log level and its subscriptions on that backend. */
  async #restore(
    session: LocalSession,
    backend: Backend,
    ref: BackendRef,
    caller: Caller | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const target = this.target(backend, ref, caller);
    const requests: Array<[string, Record<string, unknown>]> = [];
    const { logLevel, subscriptions } = session.record;
    if (logLevel && backend.capabilities?.logging)
      requests.push(["logging/setLevel", { level: logLevel }]);
    for (const uri of subscriptions) {
      const prefix = backend.prefix === undefined ? "" : `${backend.prefix}+`;
      if (prefix === "" || uri.startsWith(prefix))
        requests.push(["resources/subscribe", { uri: uri.slice(prefix.length) }]);
    }
    for (const [method, params] of requests)
      await backend.request(target, method, signal, params).catch(() => {});
  }

  /**
   * Holds the GET stream of each of the session's backend sessions, for the
   * client's GET stream held here: what the backends send outside any call
   * reaches the client.
   */
  hold(session: LocalSession, caller: Caller | undefined): void {
    for (const [label, ref] of Object.entries(session.record.backends)) {
      const backend = this.#settings.backend(label);
      if (!backend) continue;
      const held = session.held.get(label);
      if (held?.ref.id === ref.id) continue;
      if (held) this.#release(session, label);
      void this.#hold(session, backend, ref, caller, 0);
    }
  }

  async #hold(
    session: LocalSession,
    backend: Backend,
    ref: BackendRef,
    caller: Caller | undefined,
    attempt: number,
  ): Promise<void> {
    if (!session.stream || session.ended) return;
    const { upstream, clock, maxResultBytes } = this.#settings;
    const placeholder = {
      ref,
      stream: { ended: new Promise(() => {}), lastEventId: undefined, close() {} },
    };
    session.held.set(backend.label, placeholder);
    let lost = false;
    const target = this.target(backend, ref, caller);
    try {
      const stream = await upstream.open(target, {
        maxBytes: maxResultBytes,
        onMessage: (text, envelope) =>
          this.#settings.toStream(session, backend, target, text, envelope),
      });
      if (session.held.get(backend.label) !== placeholder) return stream?.close();
      if (!stream) {
        // The backend serves no GET stream: nothing to hold.
        return;
      }
      if (!session.stream || session.ended) {
        session.held.delete(backend.label);
        return stream.close();
      }
      const entry = { ref, stream };
      session.held.set(backend.label, entry);
      await stream.ended;
      if (session.held.get(backend.label) !== entry) return;
      session.held.delete(backend.label);
    } catch (error) {
      if (session.held.get(backend.label) === placeholder) session.held.delete(backend.label);
      lost = BackendError.isInstance(error) && error.status === 404;
    }
    if (!session.stream || session.ended || attempt >= HOLD_RETRIES) return;
    if (lost) {
      // The backend forgot the session: the next call opens a new one, which is held then.
      void this.replace(session, backend, ref, caller, AbortSignal.timeout(backend.callTimeoutMs))
        .then(() => this.hold(session, caller))
        .catch(() => {});
      return;
    }
    const delay = backoffDelay(attempt + 1, { jitter: "equal", minDelayMs: 250, maxDelayMs: 5000 });
    clock.setTimeout(() => {
      const current = session.record.backends[backend.label];
      if (current?.id === ref.id && !session.held.has(backend.label))
        void this.#hold(session, backend, ref, caller, attempt + 1);
    }, delay);
  }

  #release(session: LocalSession, label: string): void {
    const held = session.held.get(label);
    session.held.delete(label);
    held?.stream.close();
  }

  /** Lets go of every backend stream held for the session (its client's GET stream left). */
  release(session: LocalSession): void {
    for (const label of [...session.held.keys()]) this.#release(session, label);
  }

  /** Ends the session's backend sessions (DELETE): the client session is over. */
  async endAll(session: LocalSession): Promise<void> {
    this.release(session);
    await Promise.allSettled(
      Object.entries(session.record.backends).map(([label, ref]) => {
        const backend = this.#settings.backend(label);
        return backend
          ? this.#settings.upstream.end(
              this.target(backend, ref, undefined),
              AbortSignal.timeout(2000),
            )
          : undefined;
      }),
    );
  }
}
