import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { ConfigError } from "./errors.ts";

export { serverShape, validEnv } from "./fixtures/server-shape.ts";

/** A temporary folder for the env files and secret files a test writes; `remove()` deletes it. */
export function createTempFolder() {
  const folder = mkdtempSync(join(tmpdir(), "mcp-prod-config-"));
  return {
    folder,
    /** Writes `content` to `name` inside the folder and returns its path. */
    write(name: string, content: string): string {
      const path = join(folder, name);
      writeFileSync(path, content);
      return path;
    },
    remove(): void {
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** A fresh temporary folder for each test of the calling file, removed after it. */
export function useTempFolder(): () => ReturnType<typeof createTempFolder> {
  let temp: ReturnType<typeof createTempFolder> | undefined;
  beforeEach(() => {
    temp = createTempFolder();
  });
  afterEach(() => {
    temp?.remove();
  });
  return () => {
    if (temp === undefined) throw new Error("useTempFolder() is only usable inside a test");
    return temp;
  };
}

/** The ConfigError that `run` throws; fails the test if it throws nothing or something else. */
export function captureConfigError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (ConfigError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}
