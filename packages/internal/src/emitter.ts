// biome-ignore lint/suspicious/noExplicitAny: listener parameter lists are checked per event by EventMap
export type EventMap = Record<string, (...args: any[]) => void>;
export type Listener<Events extends EventMap, Name extends keyof Events> = Events[Name];

/**
 * The one event pattern of every mcp-prod package: `on(name, listener)`
 * returns the function that removes it, `off` removes it too, and a listener
 * that throws never breaks the emitter or its caller (it becomes a process
 * warning), and unlike Node's EventEmitter an `error` event with no listener
 * does not throw.
 */
export class Emitter<Events extends EventMap> {
  #listeners = new Map<keyof Events, Set<Events[keyof Events]>>();

  on<Name extends keyof Events>(name: Name, listener: Events[Name]): () => void {
    let set = this.#listeners.get(name);
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener);
    return () => this.off(name, listener);
  }

  once<Name extends keyof Events>(name: Name, listener: Events[Name]): () => void {
    const wrapped = ((...args: Parameters<Events[Name]>) => {
      off();
      listener(...args);
    }) as Events[Name];
    const off = this.on(name, wrapped);
    return off;
  }

  off<Name extends keyof Events>(name: Name, listener: Events[Name]): void {
    const set = this.#listeners.get(name);
    if (!set) return;
    set.delete(listener);
    if (set.size === 0) this.#listeners.delete(name);
  }

  /** True when something listens: lets hot paths skip building event payloads. */
  hasListeners(name: keyof Events): boolean {
    return this.#listeners.has(name);
  }

  listenerCount(name?: keyof Events): number {
    if (name !== undefined) return this.#listeners.get(name)?.size ?? 0;
    let count = 0;
    for (const set of this.#listeners.values()) count += set.size;
    return count;
  }

  emit<Name extends keyof Events>(name: Name, ...args: Parameters<Events[Name]>): void {
    const set = this.#listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (error) {
        // A broken listener must not break the call that emitted the event, nor
        // crash the process; it is surfaced as a process warning instead.
        process.emitWarning(
          error instanceof Error ? error : new Error(String(error)),
          "McpProdListenerWarning",
        );
      }
    }
  }

  removeAllListeners(): void {
    this.#listeners.clear();
  }
}
