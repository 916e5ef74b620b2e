import { randomBytes } from "node:crypto";
import type { RequestId } from "./json-rpc.ts";

/** What replicas tell each other. */
export type BusMessage =
  /** A session ended (DELETE, expiry): forget it, close its streams, stop its calls. */
  | { readonly type: "ended"; readonly session: string }
  /** A session's record changed (a backend session opened or replaced): read it again. */
  | { readonly type: "changed"; readonly session: string }
  /** The client's GET stream is now held by `replica`: any other holder lets it go. */
  | { readonly type: "stream"; readonly session: string; readonly replica: string }
  /** Cancel the request `id` of `scope` (a session key, or an identity for a client without one). */
  | { readonly type: "cancel"; readonly scope: string; readonly id: RequestId }
  /** A backend said its lists changed. */
  | { readonly type: "catalog"; readonly backend: string };

/**
 * How replicas reach each other: a broadcast every replica receives (this
 * one included), and whether a replica still listens.
 */
export interface Bus {
  /** This replica's id. */
  readonly replica: string;
  publish(message: BusMessage): void;
  /** Whether `replica` still listens (a replica killed with SIGKILL does not). */
  alive(replica: string): Promise<boolean>;
  on(listener: (message: BusMessage) => void): void;
  close(): Promise<void>;
}

/** A new replica id: 8 hex digits. */
export const newReplicaId = (): string => randomBytes(4).toString("hex");

/** The bus of a gateway without Redis: the one replica tells itself. */
export class LocalBus implements Bus {
  readonly replica = newReplicaId();
  readonly #listeners: Array<(message: BusMessage) => void> = [];

  publish(message: BusMessage): void {
    queueMicrotask(() => {
      for (const listener of this.#listeners) listener(message);
    });
  }

  async alive(replica: string): Promise<boolean> {
    return replica === this.replica;
  }

  on(listener: (message: BusMessage) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {
    this.#listeners.length = 0;
  }
}
