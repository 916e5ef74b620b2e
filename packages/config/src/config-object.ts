import type { ValueSource } from "./environment.ts";

/** What secrets show instead of their value. */
export const REDACTED = "[redacted]";

/** One loaded variable, as {@link describeConfig} lists it. */
export type LoadedEntry = {
  readonly variable: string;
  readonly path: string;
  readonly source: ValueSource;
  readonly value: unknown;
  readonly secret: boolean;
};

type NodeRecord = {
  /** Keys of this object whose values are secrets. */
  readonly secretKeys: ReadonlySet<string>;
  /** Every variable loaded under this object, nested ones included. */
  readonly entries: readonly LoadedEntry[];
};

/**
 * Where every config object the package built, root and nested, keeps what
 * it needs to redact and describe itself: a hidden (non-enumerable) symbol
 * property, which spreading and structuredClone leave behind. `Symbol.for`
 * so that two installed copies of the package recognise each other's
 * configs. (A WeakMap made loading three times slower, all of it in GC.)
 */
const recordKey = Symbol.for("mcp-prod.config.record");

export const inspectCustom = Symbol.for("nodejs.util.inspect.custom");
/** Keys a shape may not use: the config objects carry these as hidden methods. */
export const reservedKeys: ReadonlySet<string> = new Set(["toJSON", "toString", "__proto__"]);

export function configRecord(value: unknown): NodeRecord | undefined {
  return typeof value === "object" && value !== null
    ? ((value as Record<symbol, unknown>)[recordKey] as NodeRecord | undefined)
    : undefined;
}

/** A plain copy of a config object with every secret replaced by `[redacted]`, nested objects likewise. */
export function redactedView(node: object): Record<string, unknown> {
  const record = configRecord(node);
  const view: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (record?.secretKeys.has(key)) view[key] = REDACTED;
    else if (configRecord(value) !== undefined) view[key] = redactedView(value as object);
    else view[key] = value;
  }
  return view;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Freezes the plain objects and arrays a schema produced, all the way down.
 * Class instances (URL, Date, Map) are left alone: freezing them does not
 * make them immutable and can break their internals.
 */
export function deepFreeze<T>(value: T): T {
  if (Array.isArray(value) || isPlainObject(value)) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

// Shared by every config object and called with it as `this`: JSON.stringify, String() and
// util.inspect all do so. One set of functions rather than closures per object keeps loading cheap.
function redactedJson(this: object): Record<string, unknown> {
  return redactedView(this);
}
function redactedString(this: object): string {
  return JSON.stringify(redactedView(this));
}
// util.inspect formats whatever this returns in place of the object, at the same depth.
function redactedInspect(this: object): Record<string, unknown> {
  return redactedView(this);
}

/**
 * Turns a finished object of the config into a config object: hidden
 * (non-enumerable) `toJSON`, `toString` and `util.inspect` hooks that redact
 * secrets, then frozen. Hidden so that spreading copies only the values and
 * `structuredClone` (which rejects functions) still works; no Proxy for the
 * same reason.
 */
export function sealConfigObject<T extends object>(
  node: T,
  secretKeys: ReadonlySet<string>,
  entries: readonly LoadedEntry[],
): T {
  // defineProperty leaves a property non-enumerable, non-writable and non-configurable.
  Object.defineProperty(node, recordKey, { value: { secretKeys, entries } });
  Object.defineProperty(node, "toJSON", { value: redactedJson });
  Object.defineProperty(node, "toString", { value: redactedString });
  Object.defineProperty(node, inspectCustom, { value: redactedInspect });
  return Object.freeze(node);
}
