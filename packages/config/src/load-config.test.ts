import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  captureConfigError,
  createTempFolder,
  serverShape,
  validEnv,
} from "./config.test-helpers.ts";
import { ConfigError, env, loadConfig, secret } from "./index.ts";

describe("loadConfig", () => {
  it("parses the shape into typed, nested values with schema defaults", () => {
    const config = loadConfig(serverShape, { env: { ...validEnv, SERVER_PORT: "8080" } });
    expect(config).toEqual({
      nodeEnv: "development",
      logLevel: "info",
      server: { host: "127.0.0.1", port: 8080 },
      oauth: {
        issuer: "https://auth.example.com",
        clientId: "mcp-server",
        clientSecret: "client-secret-7f3a9",
      },
      databaseUrl: "postgresql://app:db-password-91c2@db.internal:5432/app",
    });
    expect(config.server.port).toBe(8080);
  });

  it("reads process.env by default and never modifies it", () => {
    const before = { ...process.env };
    const name = `MCP_PROD_CONFIG_TEST_${process.pid}`;
    process.env[name] = "from-process";
    try {
      const config = loadConfig({ value: env(name, z.string()) });
      expect(config.value).toBe("from-process");
      expect({ ...process.env }).toEqual({ ...before, [name]: "from-process" });
    } finally {
      delete process.env[name];
    }
  });

  it("returns a deeply frozen plain object, transformed values included", () => {
    const config = loadConfig(
      {
        server: { port: env("PORT", z.coerce.number()) },
        hosts: env(
          "HOSTS",
          z.string().transform((text) => text.split(",")),
        ),
      },
      { env: { PORT: "1", HOSTS: "a,b" } },
    );
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.server)).toBe(true);
    expect(Object.isFrozen(config.hosts)).toBe(true);
    expect(Object.getPrototypeOf(config)).toBe(Object.prototype);
    expect(() => {
      (config.server as { port: number }).port = 2;
    }).toThrow(TypeError);
    expect(() => (config.hosts as string[]).push("c")).toThrow(TypeError);
    expect(config.server.port).toBe(1);
    expect(config.hosts).toEqual(["a", "b"]);
  });

  it("reports every problem at once in one ConfigError naming each variable", () => {
    const error = captureConfigError(() =>
      loadConfig(serverShape, {
        env: {
          LOG_LEVEL: "verbose",
          SERVER_PORT: "abc",
          OAUTH_ISSUER: "not a url",
          OAUTH_CLIENT_SECRET: "",
          DATABASE_URL: "postgres://app@db/app",
        },
      }),
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe("ECONFIG");
    expect(error.name).toBe("ConfigError");
    expect(error.issues.map(({ variable, path }) => [variable, path])).toEqual([
      ["LOG_LEVEL", "logLevel"],
      ["SERVER_PORT", "server.port"],
      ["OAUTH_ISSUER", "oauth.issuer"],
      ["OAUTH_CLIENT_ID", "oauth.clientId"],
      ["OAUTH_CLIENT_SECRET", "oauth.clientSecret"],
    ]);
    expect(error.message).toBe(
      [
        "Invalid configuration (5 problems):",
        '  - LOG_LEVEL (logLevel): Invalid option: expected one of "debug"|"info"|"warn"|"error", got "verbose"',
        '  - SERVER_PORT (server.port): Invalid input: expected number, received NaN, got "abc"',
        '  - OAUTH_ISSUER (oauth.issuer): Invalid URL, got "not a url"',
        "  - OAUTH_CLIENT_ID (oauth.clientId): is required but not set (set OAUTH_CLIENT_ID or OAUTH_CLIENT_ID_FILE)",
        "  - OAUTH_CLIENT_SECRET (oauth.clientSecret): is set but empty; a secret needs a value",
      ].join("\n"),
    );
  });

  it.each([
    ["70000", "Too big: expected number to be <=65535"],
    ["0", "Too small: expected number to be >=1"],
    ["80.5", "Invalid input: expected int, received number"],
  ])("rejects SERVER_PORT=%s", (port, message) => {
    const error = captureConfigError(() =>
      loadConfig(serverShape, { env: { ...validEnv, SERVER_PORT: port } }),
    );
    expect(error.issues).toEqual([
      { variable: "SERVER_PORT", path: "server.port", message: `${message}, got "${port}"` },
    ]);
  });

  it("reports a secret failing its schema without its value", () => {
    const error = captureConfigError(() =>
      loadConfig(serverShape, { env: { ...validEnv, DATABASE_URL: "mysql://root:hunter2@db" } }),
    );
    expect(error.issues).toEqual([
      {
        variable: "DATABASE_URL",
        path: "databaseUrl",
        message: 'Invalid string: must start with "postgres"',
      },
    ]);
    expect(error.message).not.toContain("hunter2");
  });

  it("names the path inside a structured value", () => {
    const error = captureConfigError(() =>
      loadConfig(
        {
          limits: env(
            "LIMITS",
            z
              .string()
              .transform((text) => JSON.parse(text))
              .pipe(z.object({ max: z.number() })),
          ),
        },
        { env: { LIMITS: '{"max":"many"}' } },
      ),
    );
    expect(error.issues[0]?.message).toBe(
      'Invalid input: expected number, received string at max, got "{\\"max\\":\\"many\\"}"',
    );
  });

  describe("devDefault", () => {
    const shape = {
      logLevel: env("LOG_LEVEL", z.enum(["debug", "info"]), { devDefault: "debug" }),
    };

    it("applies when NODE_ENV is unset or not production", () => {
      expect(loadConfig(shape, { env: {} }).logLevel).toBe("debug");
      expect(loadConfig(shape, { env: { NODE_ENV: "test" } }).logLevel).toBe("debug");
    });

    it.each([["production"], ["Production"], ["PRODUCTION"], ["production "], ["prod"]])(
      "never applies where NODE_ENV is %j, where the variable is then required",
      (nodeEnv) => {
        const error = captureConfigError(() => loadConfig(shape, { env: { NODE_ENV: nodeEnv } }));
        expect(error.issues).toEqual([
          {
            variable: "LOG_LEVEL",
            path: "logLevel",
            message: "is required but not set (set LOG_LEVEL or LOG_LEVEL_FILE)",
          },
        ]);
      },
    );

    it("yields to a value that is set", () => {
      expect(loadConfig(shape, { env: { LOG_LEVEL: "info" } }).logLevel).toBe("info");
    });

    it("goes through the schema like any value", () => {
      const error = captureConfigError(() =>
        loadConfig(
          { port: env("PORT", z.coerce.number().max(10), { devDefault: 99 }) },
          { env: {} },
        ),
      );
      expect(error.issues[0]?.message).toBe("Too big: expected number to be <=10, got 99");
    });
  });

  describe("booleans with z.stringbool()", () => {
    const shape = { debug: env("DEBUG", z.stringbool().default(false)) };

    it.each(["false", "0", "no", "off", "FALSE"])("reads %s as false", (raw) => {
      expect(loadConfig(shape, { env: { DEBUG: raw } }).debug).toBe(false);
    });

    it.each(["true", "1", "yes", "on"])("reads %s as true", (raw) => {
      expect(loadConfig(shape, { env: { DEBUG: raw } }).debug).toBe(true);
    });

    it("rejects anything else instead of guessing", () => {
      const error = captureConfigError(() => loadConfig(shape, { env: { DEBUG: "maybe" } }));
      expect(error.issues[0]?.variable).toBe("DEBUG");
    });

    it("is what env() asks for instead of z.coerce.boolean(), which reads 'false' as true", () => {
      expect(() => env("DEBUG", z.coerce.boolean())).toThrow(/use z\.stringbool\(\)/);
    });
  });

  describe("strictPrefix", () => {
    const shape = {
      port: env("MCP_SERVER_PORT", z.coerce.number().default(3000)),
      token: secret("MCP_TOKEN", z.string()),
    };

    it("reports every undeclared variable with the prefix, suggesting the declared name", () => {
      const error = captureConfigError(() =>
        loadConfig(shape, {
          env: { MCP_SERVER_PROT: "8080", MCP_TOKEN: "t", MCP_UNKNOWN: "1", OTHER: "x" },
          strictPrefix: "MCP_",
        }),
      );
      expect(error.issues).toEqual([
        {
          variable: "MCP_SERVER_PROT",
          path: "",
          message:
            'is set (in the environment) but the config declares no such variable (strictPrefix "MCP_"); did you mean MCP_SERVER_PORT?',
        },
        {
          variable: "MCP_UNKNOWN",
          path: "",
          message:
            'is set (in the environment) but the config declares no such variable (strictPrefix "MCP_")',
        },
      ]);
    });

    it("checks each of several prefixes, suggesting a declared name with the same prefix", () => {
      const several = {
        keys: secret("GATEWAY_API_KEYS", z.string().optional()),
        issuer: env("OAUTH_ISSUER", z.string().optional()),
      };
      const error = captureConfigError(() =>
        loadConfig(several, {
          env: { GATEWAY_API_KEY: "k", OAUTH_ISUER: "x", OAUTH_ISSUER: "i", OTHER_KEY: "o" },
          strictPrefix: ["GATEWAY_", "OAUTH_"],
        }),
      );
      expect(error.issues).toEqual([
        {
          variable: "GATEWAY_API_KEY",
          path: "",
          message:
            'is set (in the environment) but the config declares no such variable (strictPrefix "GATEWAY_"); did you mean GATEWAY_API_KEYS?',
        },
        {
          variable: "OAUTH_ISUER",
          path: "",
          message:
            'is set (in the environment) but the config declares no such variable (strictPrefix "OAUTH_"); did you mean OAUTH_ISSUER?',
        },
      ]);
      expect(error.message).not.toContain('"k"');
    });

    it("accepts the declared variables and their _FILE forms", () => {
      const temp = createTempFolder();
      try {
        const config = loadConfig(shape, {
          env: { MCP_SERVER_PORT: "1", MCP_TOKEN_FILE: temp.write("token", "t0k3n\n") },
          strictPrefix: "MCP_",
        });
        expect(config).toEqual({ port: 1, token: "t0k3n" });
      } finally {
        temp.remove();
      }
    });
  });

  describe("programming errors", () => {
    it("throws TypeError naming a malformed leaf of the shape", () => {
      expect(() => loadConfig({ server: { port: 3000 } } as never, { env: {} })).toThrow(
        new TypeError(
          "Expected `shape.server.port` to be env(), secret() or a nested object, got 3000",
        ),
      );
      expect(() => loadConfig({ toJSON: env("A", z.string()) }, { env: { A: "a" } })).toThrow(
        new TypeError('Expected `shape.toJSON` to use another key: "toJSON" is reserved'),
      );
    });

    it("throws TypeError naming a malformed option", () => {
      expect(() => loadConfig({}, { env: null as never })).toThrow(
        new TypeError("Expected `env` to be an object, got null"),
      );
      expect(() => loadConfig({}, { envFiles: ".env" as never })).toThrow(
        new TypeError('Expected `envFiles` to be an array of file paths, got ".env"'),
      );
      expect(() => loadConfig({}, { strictPrefix: "" })).toThrow(
        new TypeError('Expected `strictPrefix` to be a non-empty string, got ""'),
      );
      expect(() => loadConfig({}, { strictPrefix: ["MCP_", ""] })).toThrow(
        new TypeError('Expected `strictPrefix[1]` to be a non-empty string, got ""'),
      );
      expect(() => loadConfig({}, { strictPrefix: [] })).toThrow(
        new TypeError(
          "Expected `strictPrefix` to be a non-empty string or an array of them, got an empty array",
        ),
      );
    });

    it("throws TypeError from env() and secret() for a bad name or schema", () => {
      expect(() => env("PORT NUMBER", z.string())).toThrow(
        new TypeError(
          'Expected `name` to be an environment variable name (letters, digits, _), got "PORT NUMBER"',
        ),
      );
      expect(() => secret("TOKEN", "string" as never)).toThrow(
        new TypeError('Expected `schema` to be a zod schema, got "string"'),
      );
    });
  });
});
