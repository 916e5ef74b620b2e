import { type Bus, type BusMessage, newReplicaId } from "./bus.ts";
import type { GatewayRedisSubscriber } from "./options.ts";
import type { RedisGate } from "./redis-gate.ts";

/**
 * The bus between replicas on Redis pub/sub: one channel every replica
 * listens to, and one per replica whose listener count says whether that
 * replica is alive (a killed replica's connection closes, and with it its
 * subscription). The subscription lives on a connection of its own, made
 * from the gateway's client and closed with the gateway.
 */
export class RedisBus implements Bus {
  readonly replica = newReplicaId();
  readonly #gate: RedisGate;
  readonly #channel: string;
  readonly #prefix: string;
  readonly #subscriber: GatewayRedisSubscriber;
  readonly #listeners: Array<(message: BusMessage) => void> = [];
  readonly #onReconnect: () => void;
  #readyBefore = false;

  /** `onReconnect`: the subscription came back after a break, in which messages may have been missed. */
  constructor(gate: RedisGate, prefix: string, onReconnect: () => void) {
    this.#gate = gate;
    this.#prefix = prefix;
    this.#channel = `${prefix}:bus`;
    this.#onReconnect = onReconnect;
    this.#subscriber = gate.redis.duplicate();
    this.#subscriber.on("error", () => {
      // The connection reconnects by itself; the gate reports Redis down meanwhile.
    });
    this.#subscriber.on("ready", () => {
      if (this.#readyBefore) this.#onReconnect();
      this.#readyBefore = true;
      void this.#subscribe();
    });
    this.#subscriber.on("message", (channel, text) => {
      if (channel !== this.#channel) return;
      let message: BusMessage;
      try {
        message = JSON.parse(text) as BusMessage;
      } catch {
        return;
      }
      for (const listener of this.#listeners) listener(message);
    });
  }

  /** Subscribes now if Redis is there (else on its first `ready`); resolves either way. */
  async start(): Promise<void> {
    if (this.#subscriber.status === "ready") await this.#subscribe();
  }

  async #subscribe(): Promise<void> {
    await this.#subscriber
      .subscribe(this.#channel, this.#replicaChannel(this.replica))
      .catch(() => {});
  }

  #replicaChannel(replica: string): string {
    return `${this.#prefix}:replica:${replica}`;
  }

  publish(message: BusMessage): void {
    this.#gate.send("PUBLISH", this.#channel, JSON.stringify(message));
  }

  async alive(replica: string): Promise<boolean> {
    if (replica === this.replica) return true;
    try {
      const listeners = await this.#gate.run<number>(
        "PUBLISH",
        this.#replicaChannel(replica),
        "ping",
      );
      return listeners > 0;
    } catch {
      // Unknown while Redis does not answer: keep waiting rather than give up on the call.
      return true;
    }
  }

  on(listener: (message: BusMessage) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {
    this.#listeners.length = 0;
    this.#subscriber.disconnect();
  }
}
