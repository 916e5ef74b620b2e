import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTempFolder } from "./config.test-helpers.ts";
import { describeConfig, env, loadConfig, secret } from "./index.ts";

const temp = createTempFolder();
afterAll(() => {
  temp.remove();
});

describe("describeConfig", () => {
  it("lists variable, source and value for every source, secrets redacted", () => {
    const envFile = temp.write(".env", "SERVER_HOST=0.0.0.0\n");
    const secretFile = temp.write("db-url", "postgres://app:pw-77@db/app\n");
    const config = loadConfig(
      {
        nodeEnv: env("NODE_ENV", z.string().default("development")),
        logLevel: env("LOG_LEVEL", z.string(), { devDefault: "debug" }),
        server: {
          host: env("SERVER_HOST", z.string()),
          port: env("SERVER_PORT", z.coerce.number()),
          tags: env(
            "SERVER_TAGS",
            z.string().transform((text) => text.split(",")),
          ),
        },
        sentryDsn: env("SENTRY_DSN", z.url().optional()),
        apiKey: secret("API_KEY", z.string()),
        databaseUrl: secret("DATABASE_URL", z.string()),
      },
      {
        env: {
          SERVER_PORT: "8080",
          SERVER_TAGS: "a,b",
          API_KEY: "key-0f9e",
          DATABASE_URL_FILE: secretFile,
        },
        envFiles: [envFile],
      },
    );
    const width = `file ${secretFile}`.length + 2;
    const row = (variable: string, source: string, value: string) =>
      `${variable.padEnd(14)}${source.padEnd(width)}${value}`.trimEnd();
    expect(describeConfig(config)).toBe(
      [
        row("variable", "source", "value"),
        row("NODE_ENV", "default", "development"),
        row("LOG_LEVEL", "default (dev)", "debug"),
        row("SERVER_HOST", `file ${envFile}`, "0.0.0.0"),
        row("SERVER_PORT", "env", "8080"),
        row("SERVER_TAGS", "env", '["a","b"]'),
        row("SENTRY_DSN", "unset", ""),
        row("API_KEY", "env", "[redacted]"),
        row("DATABASE_URL", `file ${secretFile}`, "[redacted]"),
      ].join("\n"),
    );
  });

  it("describes one nested object of the config on its own", () => {
    const config = loadConfig(
      { server: { port: env("PORT", z.coerce.number()) }, name: env("NAME", z.string()) },
      { env: { PORT: "1", NAME: "n" } },
    );
    expect(describeConfig(config.server)).toBe("variable  source  value\nPORT      env     1");
  });

  it("throws TypeError for an object loadConfig did not return", () => {
    const config = loadConfig({ name: env("NAME", z.string()) }, { env: { NAME: "n" } });
    expect(() => describeConfig({ ...config })).toThrow(
      new TypeError("Expected `config` to be a config returned by loadConfig(), got an object"),
    );
  });
});
