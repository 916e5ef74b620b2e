/**
 * Turns values into the strings stored in Redis (and sized for the L1 byte
 * budget) and back. `serialize` must throw, or return a non-string, for a
 * value it cannot represent; the cache then raises `CacheSerializationError`.
 *
 * @example
 * ```ts
 * import superjson from "superjson";
 * const serializer: Serializer = { serialize: superjson.stringify, deserialize: superjson.parse };
 * ```
 */
export type Serializer = {
  readonly serialize: (value: unknown) => string;
  readonly deserialize: (text: string) => unknown;
};

/**
 * The default serializer: JSON, refusing what JSON would silently lose
 * (`undefined`, functions and symbols at the top level) as well as what it
 * throws on (`BigInt`, circular objects).
 *
 * @example
 * ```ts
 * const cache = createCache({ serializer: jsonSerializer });
 * ```
 */
export const jsonSerializer: Serializer = {
  serialize(value) {
    const text = JSON.stringify(value);
    if (typeof text !== "string") {
      throw new TypeError(`JSON cannot represent a value of type ${typeof value}`);
    }
    return text;
  },
  deserialize: (text) => JSON.parse(text),
};
