import { readFileSync } from "node:fs";
import { parse } from "dotenv";

/**
 * Where a loaded value came from, as {@link describeConfig} shows it: the
 * real environment, a file (an env file, or the file `NAME_FILE` names), a
 * default (`dev` for `devDefault`), or nowhere.
 *
 * @example
 * ```ts
 * const source: ValueSource = { kind: "file", file: "/run/secrets/oauth" };
 * ```
 */
export type ValueSource =
  | { readonly kind: "env" }
  | { readonly kind: "file"; readonly file: string }
  | { readonly kind: "default"; readonly dev: boolean }
  | { readonly kind: "unset" };

export type RawValue =
  | { readonly ok: true; readonly value: string | undefined; readonly source: ValueSource }
  | { readonly ok: false; readonly message: string };

type EnvFile = { readonly path: string; readonly values: Readonly<Record<string, string>> };

/**
 * `${VAR}`, `${VAR:-fallback}` (unset or empty) and `${VAR-fallback}` (unset),
 * with `\${` for a literal. Nothing else is special: `$VAR` and `$(command)`
 * stay as written, so expanding a value can never run anything.
 */
const reference = /\\\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g;

class ExpansionError extends Error {}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : String((error as Error | null)?.message ?? error);
}

/**
 * The variables a config is loaded from: the real environment first, then the
 * env files, a later file overriding an earlier one. Read-only: nothing is
 * ever written back, least of all into `process.env`.
 */
export class Environment {
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #files: EnvFile[] = [];
  /** Names that file values refer to with `${…}`: helpers, not typos, for `strictPrefix`. */
  readonly referenced = new Set<string>();
  /** Problems with the env files themselves. */
  readonly fileProblems: string[] = [];

  constructor(env: Readonly<Record<string, string | undefined>>, envFiles: readonly string[]) {
    this.#env = env;
    for (const path of envFiles) {
      let text: string;
      try {
        text = readFileSync(path, "utf8");
      } catch (error) {
        // A listed file that does not exist is skipped, as dotenv, Vite and Next.js do, so one
        // list (".env", ".env.production") serves every machine; describeConfig shows what was read.
        if (errorCode(error) !== "ENOENT")
          this.fileProblems.push(`env file ${path} cannot be read (${errorCode(error)})`);
        continue;
      }
      this.#files.push({ path, values: parse(text) });
    }
  }

  /** Every variable name present, with where it was found, for `strictPrefix`. */
  names(): Map<string, string> {
    const found = new Map<string, string>();
    for (const file of this.#files)
      for (const name of Object.keys(file.values)) found.set(name, file.path);
    for (const [name, value] of Object.entries(this.#env))
      if (value !== undefined) found.set(name, "the environment");
    return found;
  }

  /** The file layer's value of `name` (the last file that sets it), unexpanded. */
  #fromFiles(name: string): { value: string; file: string } | undefined {
    for (let index = this.#files.length - 1; index >= 0; index -= 1) {
      const file = this.#files[index] as EnvFile;
      const value = file.values[name];
      if (value !== undefined) return { value, file: file.path };
    }
    return undefined;
  }

  /** A variable's value looked up for expansion: real environment first, then the files (expanded). */
  #lookup(name: string, stack: readonly string[]): string | undefined {
    const fromEnv = this.#env[name];
    if (fromEnv !== undefined) return fromEnv;
    const fromFiles = this.#fromFiles(name);
    return fromFiles === undefined ? undefined : this.#expand(name, fromFiles.value, stack);
  }

  #expand(name: string, value: string, stack: readonly string[]): string {
    if (stack.includes(name))
      throw new ExpansionError(`refers to itself through ${[...stack, name].join(" → ")}`);
    const inner = [...stack, name];
    return value.replace(
      reference,
      (match, target: string | undefined, operator: string | undefined, fallback?: string) => {
        if (target === undefined) return match.slice(1);
        this.referenced.add(target);
        const resolved = this.#lookup(target, inner);
        if (operator === ":-" && (resolved === undefined || resolved === "")) return fallback ?? "";
        if (operator === "-" && resolved === undefined) return fallback ?? "";
        if (resolved === undefined)
          throw new ExpansionError(`refers to \${${target}}, which is not set`);
        return resolved;
      },
    );
  }

  /** A plain variable with no `_FILE` indirection (NODE_ENV for `devDefault`); undefined when it cannot be read. */
  plain(name: string): string | undefined {
    try {
      return this.#lookup(name, []);
    } catch {
      return undefined;
    }
  }

  /**
   * The raw value of a declared variable: `NAME` or `NAME_FILE` from the real
   * environment, else from the last env file that sets either. Both in the
   * environment, or both in one file, is a mistake worth reporting.
   */
  read(name: string): RawValue {
    const fileName = `${name}_FILE`;
    const direct = this.#env[name];
    const indirect = this.#env[fileName];
    if (direct !== undefined && indirect !== undefined)
      return { ok: false, message: `both ${name} and ${fileName} are set; set only one` };
    if (direct !== undefined) return { ok: true, value: direct, source: { kind: "env" } };
    if (indirect !== undefined) return readValueFile(fileName, indirect);

    // The last file that sets either form decides, as a later file overrides an earlier one.
    const file = this.#files.findLast(
      (candidate) =>
        candidate.values[name] !== undefined || candidate.values[fileName] !== undefined,
    );
    if (file === undefined) return { ok: true, value: undefined, source: { kind: "unset" } };
    const fileDirect = file.values[name];
    const fileIndirect = file.values[fileName];
    if (fileDirect !== undefined && fileIndirect !== undefined)
      return {
        ok: false,
        message: `both ${name} and ${fileName} are set in ${file.path}; set only one`,
      };
    let expanded: string;
    try {
      expanded = this.#expand(
        fileDirect !== undefined ? name : fileName,
        (fileDirect ?? fileIndirect) as string,
        [],
      );
    } catch (error) {
      if (!(error instanceof ExpansionError)) throw error;
      return { ok: false, message: `${error.message} (in ${file.path})` };
    }
    return fileDirect !== undefined
      ? { ok: true, value: expanded, source: { kind: "file", file: file.path } }
      : readValueFile(fileName, expanded);
  }
}

/** `NAME_FILE`: the value is the file's content, its trailing newline trimmed. */
function readValueFile(fileName: string, path: string): RawValue {
  try {
    const value = readFileSync(path, "utf8").replace(/(\r?\n)+$/, "");
    return { ok: true, value, source: { kind: "file", file: path } };
  } catch (error) {
    return {
      ok: false,
      message: `${fileName} names ${path}, which cannot be read (${errorCode(error)})`,
    };
  }
}
