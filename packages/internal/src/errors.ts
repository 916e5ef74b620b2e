/**
 * Cross-copy error detection. `instanceof` fails when two copies of a package
 * are installed (a dependency pins another version), so every mcp-prod error
 * class carries a `Symbol.for("mcp-prod.<package>.<Name>")` marker on its
 * prototype that any copy can check. The marker sits on the prototype, not on
 * each instance: a subclass inherits its parents' markers and an error costs
 * nothing extra to create.
 */

/** The marker symbols of each registered class, its own ones only (never a parent's). */
const registered = new WeakMap<object, readonly symbol[]>();

/**
 * The base of every error class in mcp-prod: a `code` own property to branch
 * on, `cause` through `ErrorOptions`, and a static `isInstance(error)` that
 * recognises the class's errors from any installed copy of its package. A
 * subclass declares its literal `name` and registers itself with
 * {@link defineError} in a `static {}` block.
 *
 * @example
 * ```ts
 * export class QueueFullError extends McpProdError<"EQUEUEFULL"> {
 *   override readonly name = "QueueFullError";
 *   static {
 *     defineError(QueueFullError, "queue", "QueueFullError");
 *   }
 *   constructor(message: string, options?: ErrorOptions) {
 *     super("EQUEUEFULL", message, options);
 *   }
 * }
 * QueueFullError.isInstance(error); // narrows `error` to QueueFullError
 * ```
 */
export abstract class McpProdError<Code extends string = string> extends Error {
  /** What went wrong, `E` + upper-case letters: branch on it, never on the message. */
  readonly code: Code;

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }

  /**
   * True for an error of this class (or a subclass) from any installed copy of
   * its package, including copies older than the per-package markers.
   *
   * @throws TypeError when the class was never registered with {@link defineError}.
   */
  static isInstance<T>(this: abstract new (...args: never[]) => T, error: unknown): error is T {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass isInstance was called on, which is the point
    const markers = markersOf(this);
    if (typeof error !== "object" || error === null) return false;
    return markers.some((marker) => (error as Record<symbol, unknown>)[marker] === true);
  }
}

function markersOf(errorClass: abstract new (...args: never[]) => unknown): readonly symbol[] {
  const markers = registered.get(errorClass);
  if (markers === undefined) {
    throw new TypeError(
      `${errorClass.name || "This error class"}.isInstance() needs the class registered: call defineError(Class, "<package>", "<Name>") in its static block`,
    );
  }
  return markers;
}

/**
 * Registers an error class: puts its `Symbol.for("mcp-prod.<package>.<Name>")`
 * marker on its prototype (non-enumerable, so `Object.keys` and
 * `JSON.stringify` of an error are unchanged) and lets its inherited
 * `isInstance` check that marker. Names are passed explicitly because a
 * minifier may rename the class.
 *
 * `legacyName` also sets, and accepts, the `Symbol.for("mcp-prod.error.<legacyName>")`
 * marker that earlier releases put on each error, before markers were named
 * after their package, so an older installed copy and this one still
 * recognise each other's errors. A class that several packages used to
 * declare each on their own (one shared class now) lists every package and
 * every legacy name, and carries all their markers.
 *
 * @example
 * ```ts
 * class BreakerOpenError extends BreakerError {
 *   static {
 *     defineError(BreakerOpenError, "breaker", "BreakerOpenError", "BreakerOpenError");
 *   }
 * }
 * ```
 */
export function defineError(
  errorClass: abstract new (...args: never[]) => McpProdError,
  packageName: string | readonly string[],
  name: string,
  legacyName?: string | readonly string[],
): void {
  const packages = typeof packageName === "string" ? [packageName] : packageName;
  if (registered.has(errorClass)) {
    throw new TypeError(`Error class ${packages[0]}.${name} is already registered`);
  }
  const markers = packages.map((owner) => Symbol.for(`mcp-prod.${owner}.${name}`));
  const legacy =
    legacyName === undefined ? [] : typeof legacyName === "string" ? [legacyName] : legacyName;
  for (const old of legacy) markers.push(Symbol.for(`mcp-prod.error.${old}`));
  for (const marker of markers) {
    Object.defineProperty(errorClass.prototype, marker, { value: true, enumerable: false });
  }
  registered.set(errorClass, markers);
}
