/**
 * Option validation with one message shape across the toolkit:
 * ``Expected `timeoutMs` to be a positive finite number, got -1``.
 */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value == null)
    return String(value);
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "bigint") return `${value}n`;
  return typeof value === "object" ? "an object" : typeof value;
}

function fail(name: string, expected: string, value: unknown): never {
  throw new TypeError(`Expected \`${name}\` to be ${expected}, got ${describeValue(value)}`);
}

/** The options argument itself: undefined is allowed (all defaults), anything but a plain object is not. */
export function assertOptions(value: unknown, name = "options"): void {
  if (value === undefined) return;
  if (typeof value !== "object" || value === null || Array.isArray(value))
    fail(name, "an object", value);
}

export function assertFunction(value: unknown, name: string, optional = false): void {
  if (optional && value === undefined) return;
  if (typeof value !== "function") fail(name, "a function", value);
}

export function assertPositiveNumber(value: unknown, name: string, optional = false): void {
  if (optional && value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0)
    fail(name, "a positive finite number", value);
}

export function assertNonNegativeNumber(value: unknown, name: string, optional = false): void {
  if (optional && value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
    fail(name, "a non-negative finite number", value);
}

export function assertPositiveInteger(value: unknown, name: string, optional = false): void {
  if (optional && value === undefined) return;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0)
    fail(name, "a positive integer", value);
}

export function assertNonNegativeInteger(value: unknown, name: string, optional = false): void {
  if (optional && value === undefined) return;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    fail(name, "a non-negative integer", value);
}

export function assertPercentage(value: unknown, name: string, optional = false): void {
  if (optional && value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 100)
    fail(name, "a number from 0 to 100", value);
}

export function assertString(value: unknown, name: string, optional = false): void {
  if (optional && value === undefined) return;
  if (typeof value !== "string" || value.length === 0) fail(name, "a non-empty string", value);
}

export function assertBoolean(value: unknown, name: string, optional = false): void {
  if (optional && value === undefined) return;
  if (typeof value !== "boolean") fail(name, "a boolean", value);
}

export function assertOneOf<const T extends readonly unknown[]>(
  value: unknown,
  name: string,
  allowed: T,
  optional = false,
): void {
  if (optional && value === undefined) return;
  if (!allowed.includes(value))
    fail(name, `one of ${allowed.map((item) => describeValue(item)).join(", ")}`, value);
}
