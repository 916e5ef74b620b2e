import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { z } from "zod";
import { ConfigError } from "./errors.ts";
import { env, secret } from "./variable.ts";

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

/** The shape from the package's issue and README: the seed's ConfigSchema plus the database URL. */
export const serverShape = {
  nodeEnv: env("NODE_ENV", z.enum(["development", "production", "test"]).default("development")),
  logLevel: env("LOG_LEVEL", z.enum(["debug", "info", "warn", "error"]).default("info")),
  server: {
    host: env("SERVER_HOST", z.string().default("127.0.0.1")),
    port: env("SERVER_PORT", z.coerce.number().int().min(1).max(65535).default(3000)),
  },
  oauth: {
    issuer: env("OAUTH_ISSUER", z.url()),
    clientId: env("OAUTH_CLIENT_ID", z.string().min(1)),
    clientSecret: secret("OAUTH_CLIENT_SECRET", z.string().min(1)),
  },
  databaseUrl: secret("DATABASE_URL", z.string().startsWith("postgres")),
};

/** An environment that satisfies {@link serverShape}, secrets included. */
export const validEnv = {
  OAUTH_ISSUER: "https://auth.example.com",
  OAUTH_CLIENT_ID: "mcp-server",
  OAUTH_CLIENT_SECRET: "client-secret-7f3a9",
  DATABASE_URL: "postgresql://app:db-password-91c2@db.internal:5432/app",
};

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
