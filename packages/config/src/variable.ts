import {
  assertKnownKeys,
  assertOptions,
  assertString,
  describeValue,
  optionKeys,
} from "@mcp-prod/internal";
import type { z } from "zod";

const variableMarker: unique symbol = Symbol.for("mcp-prod.config.variable");
const namePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Options of {@link env} and {@link secret}.
 *
 * @example
 * ```ts
 * env("LOG_LEVEL", z.enum(["debug", "info"]).default("info"), { devDefault: "debug" });
 * ```
 */
export type VariableOptions<Schema extends z.ZodType> = {
  /**
   * The value used when the variable is unset and `NODE_ENV` is not
   * `production` (envalid's `devDefault`): a development convenience that can
   * never hide a missing value in production. It goes through the schema like
   * a value from the environment.
   * @default undefined
   */
  readonly devDefault?: z.input<Schema>;
};

const VARIABLE_KEYS = optionKeys<VariableOptions<z.ZodType>>({ devDefault: true });

/**
 * One declared environment variable: what {@link env} and {@link secret}
 * return, a leaf of a config shape.
 *
 * @example
 * ```ts
 * const port: ConfigVariable<z.ZodCoercedNumber> = env("SERVER_PORT", z.coerce.number());
 * ```
 */
export type ConfigVariable<Schema extends z.ZodType = z.ZodType> = {
  readonly [variableMarker]: true;
  /** The environment variable's name, e.g. `SERVER_PORT`. */
  readonly name: string;
  /** The zod schema the raw string (or `undefined` when unset) is parsed with. */
  readonly schema: Schema;
  /** Whether the value is redacted everywhere but the property itself. */
  readonly secret: boolean;
  /** See {@link VariableOptions.devDefault}. */
  readonly devDefault: z.input<Schema> | undefined;
};

/**
 * A config shape: plain objects, nested as deep as you like, whose leaves are
 * {@link env} and {@link secret} declarations.
 *
 * @example
 * ```ts
 * const shape = {
 *   server: { port: env("SERVER_PORT", z.coerce.number().default(3000)) },
 * } satisfies ConfigShape;
 * ```
 */
export type ConfigShape = { readonly [key: string]: ConfigVariable | ConfigShape };

function declare<Schema extends z.ZodType>(
  name: string,
  schema: Schema,
  options: VariableOptions<Schema> | undefined,
  secret: boolean,
): ConfigVariable<Schema> {
  assertString(name, "name");
  if (!namePattern.test(name))
    throw new TypeError(
      `Expected \`name\` to be an environment variable name (letters, digits, _), got ${describeValue(name)}`,
    );
  if (
    typeof schema !== "object" ||
    schema === null ||
    typeof (schema as { safeParse?: unknown }).safeParse !== "function"
  )
    throw new TypeError(`Expected \`schema\` to be a zod schema, got ${describeValue(schema)}`);
  if (coercesBoolean(schema))
    throw new TypeError(
      `Expected the schema of ${name} not to be z.coerce.boolean(), which reads "false" and "0" as true: use z.stringbool() ("true"/"false", "1"/"0", "yes"/"no", "on"/"off")`,
    );
  assertOptions(options);
  assertKnownKeys(options, VARIABLE_KEYS, `${secret ? "secret" : "env"}("${name}")`, {
    default: "give the schema a `.default(value)`",
    docs: "not supported: describe the variable in a comment or your README",
  });
  return Object.freeze({
    [variableMarker]: true as const,
    name,
    schema,
    secret,
    devDefault: options?.devDefault,
  });
}

/**
 * Declares a configuration value read from the environment variable `name`
 * and parsed with a zod schema. The raw value is a string, or `undefined`
 * when the variable is unset, so give the schema a `.default()` for optional
 * values, `z.coerce.number()` for numbers and `z.stringbool()` for booleans.
 * `NAME_FILE` (Docker and Kubernetes secrets) is honoured too.
 *
 * @example
 * ```ts
 * const shape = {
 *   port: env("SERVER_PORT", z.coerce.number().int().min(1).max(65535).default(3000)),
 *   logLevel: env("LOG_LEVEL", z.enum(["debug", "info"]).default("info"), { devDefault: "debug" }),
 * };
 * ```
 */
export function env<Schema extends z.ZodType>(
  name: string,
  schema: Schema,
  options?: VariableOptions<Schema>,
): ConfigVariable<Schema> {
  return declare(name, schema, options, false);
}

/**
 * Declares a secret: like {@link env}, but the value never appears in an
 * error message, `JSON.stringify`, `util.inspect`/`console.log`, `String()`
 * or {@link describeConfig} of the config: those show `[redacted]`. Reading
 * the property gives the value. An empty secret is always an error.
 *
 * @example
 * ```ts
 * const shape = { databaseUrl: secret("DATABASE_URL", z.string().startsWith("postgres")) };
 * ```
 */
export function secret<Schema extends z.ZodType>(
  name: string,
  schema: Schema,
  options?: VariableOptions<Schema>,
): ConfigVariable<Schema> {
  return declare(name, schema, options, true);
}

type SchemaDefinition = {
  readonly type?: string;
  readonly coerce?: boolean;
  readonly innerType?: unknown;
  readonly in?: unknown;
};

/** Whether the schema is `z.coerce.boolean()`, under `.default()`, `.optional()` and the like. */
function coercesBoolean(schema: unknown): boolean {
  for (let current = schema, depth = 0; depth < 10; depth++) {
    const definition = (current as { _zod?: { def?: SchemaDefinition } } | undefined)?._zod?.def;
    if (definition === undefined) return false;
    if (definition.type === "boolean") return definition.coerce === true;
    current = definition.innerType ?? definition.in;
  }
  return false;
}

export function isConfigVariable(value: unknown): value is ConfigVariable {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[variableMarker] === true
  );
}
