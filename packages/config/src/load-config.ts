import {
  assertBoolean,
  assertKnownKeys,
  assertOptions,
  assertString,
  describeValue,
  isProductionEnvironment,
  optionKeys,
} from "@mcp-prod/internal";
import type { z } from "zod";
import {
  configRecord,
  deepFreeze,
  type LoadedEntry,
  REDACTED,
  reservedKeys,
  sealConfigObject,
} from "./config-object.ts";
import { Environment, type RawValue } from "./environment.ts";
import { ConfigError, type ConfigIssue } from "./errors.ts";
import { closestName } from "./strict-prefix.ts";
import { type ConfigShape, type ConfigVariable, isConfigVariable } from "./variable.ts";

/**
 * Options of {@link loadConfig} and {@link loadConfigOrExit}.
 *
 * @example
 * ```ts
 * loadConfig(shape, { envFiles: [".env", ".env.production"], strictPrefix: "MCP_" });
 * ```
 */
export type LoadConfigOptions = {
  /**
   * The environment to read. Only read, never written to.
   * @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * `.env` files to read, e.g. `[".env", ".env.production"]`, parsed with
   * dotenv. A later file overrides an earlier one, the real environment
   * overrides every file, and a listed file that does not exist is skipped.
   * Values may refer to other variables as `${VAR}` or `${VAR:-fallback}`;
   * `$(…)` and `$VAR` stay literal.
   * @default []
   */
  readonly envFiles?: readonly string[];
  /**
   * Report every variable starting with this prefix (e.g. `"MCP_"`), or with
   * any of these prefixes (`["GATEWAY_", "OAUTH_"]`), that the shape does not
   * declare, so a typo such as `MCP_SERVER_PROT` fails at start-up instead of
   * silently falling back to a default.
   * @default undefined (no check)
   */
  readonly strictPrefix?: string | readonly string[];
  /**
   * Treat a variable set to the empty string (`PORT=`) as unset, so the
   * schema's `.default()` applies and a required variable is reported as
   * missing, instead of `z.coerce.number()` turning `""` into `0`. Set it to
   * `false` to hand `""` to the schema as it is. (t3-env's option of the same
   * name.) An empty secret is an error either way.
   * @default true
   */
  readonly emptyStringAsUndefined?: boolean;
};

type Primitive = string | number | boolean | bigint | symbol | null | undefined;
/** Values left as they are: primitives, functions and class instances that freezing would not make immutable. */
type Opaque =
  | Primitive
  | ((...args: never[]) => unknown)
  | Date
  | URL
  | RegExp
  | Map<unknown, unknown>
  | Set<unknown>;

/**
 * What the config holds for a schema's output: arrays and plain objects are
 * frozen, so readonly; class instances (URL, Date, Map) are kept as they are.
 *
 * @example
 * ```ts
 * type Hosts = DeepReadonly<string[]>; // readonly string[]
 * ```
 */
export type DeepReadonly<T> = T extends Opaque
  ? T
  : T extends ReadonlyArray<infer Item>
    ? ReadonlyArray<DeepReadonly<Item>>
    : { readonly [Key in keyof T]: DeepReadonly<T[Key]> };

/**
 * The type of the config a shape loads into: each leaf is its schema's
 * output, every property readonly.
 *
 * @example
 * ```ts
 * const shape = { server: { port: env("SERVER_PORT", z.coerce.number().default(3000)) } };
 * type Config = InferConfig<typeof shape>; // { readonly server: { readonly port: number } }
 * ```
 */
export type InferConfig<Shape extends ConfigShape> = {
  readonly [Key in keyof Shape]: Shape[Key] extends ConfigVariable<infer Schema>
    ? DeepReadonly<z.output<Schema>>
    : Shape[Key] extends ConfigShape
      ? InferConfig<Shape[Key]>
      : never;
};

type Leaf = { readonly path: readonly string[]; readonly variable: ConfigVariable };

/** Every variable of the shape with its path; a malformed shape is a programming error, a TypeError. */
function collectLeaves(shape: ConfigShape, prefix: readonly string[], leaves: Leaf[]): Leaf[] {
  for (const [key, node] of Object.entries(shape)) {
    const path = [...prefix, key];
    if (reservedKeys.has(key))
      throw new TypeError(
        `Expected \`shape.${path.join(".")}\` to use another key: "${key}" is reserved`,
      );
    if (isConfigVariable(node)) leaves.push({ path, variable: node });
    else if (typeof node === "object" && node !== null && !Array.isArray(node))
      collectLeaves(node, path, leaves);
    else
      throw new TypeError(
        `Expected \`shape.${path.join(".")}\` to be env(), secret() or a nested object, got ${describeValue(node)}`,
      );
  }
  return leaves;
}

const LOAD_KEYS = optionKeys<LoadConfigOptions>({
  env: true,
  envFiles: true,
  strictPrefix: true,
  emptyStringAsUndefined: true,
});

/** t3-env's, envalid's and dotenv's names. */
const LOAD_FOREIGN_KEYS = {
  runtimeEnv: "use `env`",
  path: "use `envFiles` (an array of paths)",
  envFile: "use `envFiles` (an array of paths)",
  prefix: "use `strictPrefix`",
  clientPrefix: "use `strictPrefix`",
};

function validateOptions(options: LoadConfigOptions | undefined, where: string): void {
  assertOptions(options);
  assertKnownKeys(options, LOAD_KEYS, where, LOAD_FOREIGN_KEYS);
  if (options?.env !== undefined && (typeof options.env !== "object" || options.env === null))
    throw new TypeError(`Expected \`env\` to be an object, got ${describeValue(options.env)}`);
  const envFiles: unknown = options?.envFiles;
  if (
    envFiles !== undefined &&
    (!Array.isArray(envFiles) || envFiles.some((path) => typeof path !== "string" || path === ""))
  )
    throw new TypeError(
      `Expected \`envFiles\` to be an array of file paths, got ${describeValue(envFiles)}`,
    );
  const strictPrefix: unknown = options?.strictPrefix;
  if (Array.isArray(strictPrefix)) {
    if (strictPrefix.length === 0)
      throw new TypeError(
        "Expected `strictPrefix` to be a non-empty string or an array of them, got an empty array",
      );
    for (const [index, prefix] of strictPrefix.entries())
      assertString(prefix, `strictPrefix[${index}]`);
  } else assertString(strictPrefix, "strictPrefix", true);
  assertBoolean(options?.emptyStringAsUndefined, "emptyStringAsUndefined", true);
}

function quote(value: unknown): string {
  const text = describeValue(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

type Resolved =
  | { readonly ok: true; readonly value: unknown; readonly entry: LoadedEntry }
  | { readonly ok: false; readonly messages: readonly string[] };

/** One variable: raw string → dev default → schema, with messages that never carry a secret. */
function resolveVariable(
  variable: ConfigVariable,
  path: string,
  raw: RawValue,
  production: boolean,
  emptyStringAsUndefined: boolean,
): Resolved {
  if (!raw.ok) return { ok: false, messages: [raw.message] };
  let { value: input, source } = raw;
  const from = source.kind === "file" ? ` (from ${source.file})` : "";
  if (variable.secret && input === "")
    return { ok: false, messages: [`is set but empty; a secret needs a value${from}`] };
  const empty = input === "" && emptyStringAsUndefined;
  if (empty) {
    input = undefined;
    source = { kind: "unset" };
  }
  if (input === undefined && variable.devDefault !== undefined && !production) {
    input = variable.devDefault as string;
    source = { kind: "default", dev: true };
  }
  const result = variable.schema.safeParse(input);
  if (!result.success) {
    if (input === undefined) {
      const hint = `set ${variable.name} or ${variable.name}_FILE`;
      if (empty)
        return {
          ok: false,
          messages: [`is required but empty (an empty value counts as unset; ${hint})${from}`],
        };
      return { ok: false, messages: [`is required but not set (${hint})`] };
    }
    return {
      ok: false,
      messages: result.error.issues.map((issue) => {
        const inner = issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "";
        if (!variable.secret) return `${issue.message}${inner}, got ${quote(input)}${from}`;
        // A refinement's message could quote its input; make sure a secret never rides along.
        const message =
          typeof input === "string" && input !== ""
            ? issue.message.replaceAll(input, REDACTED)
            : issue.message;
        return `${message}${inner}${from}`;
      }),
    };
  }
  const value = deepFreeze(result.data);
  if (input === undefined)
    source = value === undefined ? { kind: "unset" } : { kind: "default", dev: false };
  return {
    ok: true,
    value,
    entry: { variable: variable.name, path, source, value, secret: variable.secret },
  };
}

/** Builds the nested, sealed config objects from the resolved leaves, in the shape's order. */
function assemble(shape: ConfigShape, prefix: string, values: Map<string, LoadedEntry>): object {
  const node: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  const entries: LoadedEntry[] = [];
  for (const [key, child] of Object.entries(shape)) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    if (isConfigVariable(child)) {
      const entry = values.get(path) as LoadedEntry;
      node[key] = entry.value;
      entries.push(entry);
      if (child.secret) secretKeys.add(key);
    } else {
      const nested = assemble(child, path, values);
      node[key] = nested;
      entries.push(...(configRecord(nested)?.entries ?? []));
    }
  }
  return sealConfigObject(node, secretKeys, entries);
}

/**
 * Loads a typed, validated, deeply frozen config from environment variables
 * (and optionally `.env` files), failing fast with every problem listed in
 * one {@link ConfigError}. The result's type is inferred from the shape.
 * Secrets read normally through their property but show `[redacted]` in
 * `JSON.stringify`, `util.inspect`/`console.log` and `String()` of the config
 * and of each nested object. `process.env` is never modified.
 *
 * @throws {ConfigError} when any variable is missing or invalid.
 * @throws {TypeError} when the shape or an option is malformed.
 * @example
 * ```ts
 * import { z } from "zod";
 * import { env, loadConfig, secret } from "@mcp-prod/config";
 *
 * const config = loadConfig({
 *   server: { port: env("SERVER_PORT", z.coerce.number().int().min(1).max(65535).default(3000)) },
 *   databaseUrl: secret("DATABASE_URL", z.string().startsWith("postgres")),
 * });
 * config.server.port; // number
 * ```
 */
export function loadConfig<Shape extends ConfigShape>(
  shape: Shape,
  options?: LoadConfigOptions,
): InferConfig<Shape> {
  if (typeof shape !== "object" || shape === null || Array.isArray(shape))
    throw new TypeError(`Expected \`shape\` to be an object, got ${describeValue(shape)}`);
  validateOptions(options, "loadConfig()");
  const {
    env = process.env,
    envFiles = [],
    strictPrefix,
    emptyStringAsUndefined = true,
  } = options ?? {};
  const leaves = collectLeaves(shape, [], []);
  const environment = new Environment(env, envFiles);
  const production = isProductionEnvironment(environment.plain("NODE_ENV"));

  const issues: ConfigIssue[] = environment.fileProblems.map((message) => ({
    variable: "",
    path: "",
    message,
  }));
  const values = new Map<string, LoadedEntry>();
  for (const { path: segments, variable } of leaves) {
    const path = segments.join(".");
    const resolved = resolveVariable(
      variable,
      path,
      environment.read(variable.name),
      production,
      emptyStringAsUndefined,
    );
    if (resolved.ok) values.set(path, resolved.entry);
    else
      for (const message of resolved.messages)
        issues.push({ variable: variable.name, path, message });
  }

  if (strictPrefix !== undefined) {
    const prefixes: readonly string[] =
      typeof strictPrefix === "string" ? [strictPrefix] : strictPrefix;
    const declared = new Set(
      leaves.flatMap(({ variable }) => [variable.name, `${variable.name}_FILE`]),
    );
    for (const [name, where] of environment.names()) {
      const prefix = prefixes.find((candidate) => name.startsWith(candidate));
      if (prefix === undefined || declared.has(name) || environment.referenced.has(name)) continue;
      const suggestion = closestName(
        name,
        [...declared].filter((item) => item.startsWith(prefix)),
      );
      const hint = suggestion === undefined ? "" : `; did you mean ${suggestion}?`;
      issues.push({
        variable: name,
        path: "",
        message: `is set (in ${where}) but the config declares no such variable (strictPrefix "${prefix}")${hint}`,
      });
    }
  }

  if (issues.length > 0) throw new ConfigError(issues);
  return assemble(shape, "", values) as InferConfig<Shape>;
}

/**
 * {@link loadConfig} for a server's entry point: on a {@link ConfigError} it
 * writes the error's list of problems to stderr and exits with code 1, so a
 * misconfigured deployment stops at once with a readable message instead of
 * a stack trace. Other errors (a malformed shape) are thrown as usual.
 *
 * @example
 * ```ts
 * export const config = loadConfigOrExit({
 *   port: env("SERVER_PORT", z.coerce.number().int().default(3000)),
 * });
 * ```
 */
export function loadConfigOrExit<Shape extends ConfigShape>(
  shape: Shape,
  options?: LoadConfigOptions,
): InferConfig<Shape> {
  try {
    return loadConfig(shape, options);
  } catch (error) {
    if (!ConfigError.isInstance(error)) throw error;
    process.stderr.write(`${error.message}\n`);
    return process.exit(1);
  }
}
