// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in these strings is .env syntax under test, not a template
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { captureConfigError, useTempFolder } from "./config.test-helpers.ts";
import { env, loadConfig, secret } from "./index.ts";

const useTemp = useTempFolder();
const issuesOf = (run: () => unknown) => captureConfigError(run).issues;

/** A typical server's `.env.production`, with the vault's value supplied by the real environment. */
const serverEnvProduction = `# .env.production
NODE_ENV=production
LOG_LEVEL=info

# Server
SERVER_HOST=0.0.0.0
SERVER_PORT=3000

# Auth
OAUTH_ISSUER=https://auth.example.com
OAUTH_CLIENT_ID=mcp-server
OAUTH_CLIENT_SECRET=\${SECRET_FROM_VAULT}

# External APIs
API_BASE_URL=https://api.example.com
API_KEY=\${SECRET_FROM_VAULT}

# Database
DATABASE_URL=postgresql://user:pass@host:5432/db

# Monitoring
SENTRY_DSN=https://xxx@sentry.io/123
`;

/** That server's `ConfigSchema`, declared with env() and secret(). */
const serverShape = {
  nodeEnv: env("NODE_ENV", z.enum(["development", "production", "test"])),
  logLevel: env("LOG_LEVEL", z.enum(["debug", "info", "warn", "error"])),
  server: {
    host: env("SERVER_HOST", z.string().default("127.0.0.1")),
    port: env("SERVER_PORT", z.coerce.number().default(3000)),
  },
  oauth: {
    issuer: env("OAUTH_ISSUER", z.url()),
    clientId: env("OAUTH_CLIENT_ID", z.string()),
    clientSecret: secret("OAUTH_CLIENT_SECRET", z.string()),
  },
};

describe("envFiles", () => {
  it("loads a server's .env.production layout into its ConfigSchema shape", () => {
    const temp = useTemp();
    const file = temp.write(".env.production", serverEnvProduction);
    const config = loadConfig(serverShape, {
      env: { SECRET_FROM_VAULT: "vault-value-5d1e" },
      envFiles: [file],
    });
    expect(config).toEqual({
      nodeEnv: "production",
      logLevel: "info",
      server: { host: "0.0.0.0", port: 3000 },
      oauth: {
        issuer: "https://auth.example.com",
        clientId: "mcp-server",
        clientSecret: "vault-value-5d1e",
      },
    });
  });

  it("reports a ${VAR} that nothing sets, naming the file and never guessing an empty value", () => {
    const temp = useTemp();
    const file = temp.write(".env.production", serverEnvProduction);
    expect(issuesOf(() => loadConfig(serverShape, { env: {}, envFiles: [file] }))).toEqual([
      {
        variable: "OAUTH_CLIENT_SECRET",
        path: "oauth.clientSecret",
        message: `refers to \${SECRET_FROM_VAULT}, which is not set (in ${file})`,
      },
    ]);
  });

  it("lets the real environment win over every file, and a later file over an earlier one", () => {
    const temp = useTemp();
    const base = temp.write(".env", "A=base\nB=base\nC=base\n");
    const production = temp.write(".env.production", "B=production\nC=production\n");
    const config = loadConfig(
      { a: env("A", z.string()), b: env("B", z.string()), c: env("C", z.string()) },
      { env: { C: "real" }, envFiles: [base, production] },
    );
    expect(config).toEqual({ a: "base", b: "production", c: "real" });
  });

  it("never writes the file's variables into process.env", () => {
    const temp = useTemp();
    const name = `MCP_PROD_CONFIG_FILE_ONLY_${process.pid}`;
    const file = temp.write(".env", `${name}=from-file\n`);
    const config = loadConfig({ value: env(name, z.string()) }, { envFiles: [file] });
    expect(config.value).toBe("from-file");
    expect(process.env[name]).toBeUndefined();
  });

  it("keeps $(command) and $VAR literal: expansion never runs anything", () => {
    const temp = useTemp();
    const file = temp.write(
      ".env",
      ["A=$(echo pwned)", 'B="$(touch pwned-file)"', "C=$HOME", "D=`echo pwned`"].join("\n"),
    );
    const config = loadConfig(
      {
        a: env("A", z.string()),
        b: env("B", z.string()),
        c: env("C", z.string()),
        d: env("D", z.string()),
      },
      { env: { HOME: "/root" }, envFiles: [file] },
    );
    expect(config).toEqual({
      a: "$(echo pwned)",
      b: "$(touch pwned-file)",
      c: "$HOME",
      d: "echo pwned",
    });
  });

  it("expands references through other file values, with fallbacks and escapes", () => {
    const temp = useTemp();
    const file = temp.write(
      ".env",
      [
        "HOST=db.internal",
        "URL=postgres://${USER}@${HOST}:${PORT:-5432}/app",
        "EMPTY=",
        "WITH_DASH=${EMPTY-kept-empty}|${EMPTY:-replaced}|${NOPE-fallback}",
        "LITERAL=\\${NOT_EXPANDED}",
      ].join("\n"),
    );
    const config = loadConfig(
      {
        url: env("URL", z.string()),
        dash: env("WITH_DASH", z.string()),
        literal: env("LITERAL", z.string()),
      },
      { env: { USER: "app" }, envFiles: [file] },
    );
    expect(config).toEqual({
      url: "postgres://app@db.internal:5432/app",
      dash: "|replaced|fallback",
      literal: "${NOT_EXPANDED}",
    });
  });

  it("reports a circular reference instead of looping", () => {
    const temp = useTemp();
    const file = temp.write(".env", "A=${B}\nB=${A}\n");
    expect(
      issuesOf(() => loadConfig({ a: env("A", z.string()) }, { env: {}, envFiles: [file] })),
    ).toEqual([
      { variable: "A", path: "a", message: `refers to itself through A → B → A (in ${file})` },
    ]);
  });

  it("skips a listed file that does not exist", () => {
    const temp = useTemp();
    const config = loadConfig(
      { port: env("PORT", z.coerce.number().default(3000)) },
      { env: {}, envFiles: [`${temp.folder}/.env.missing`] },
    );
    expect(config.port).toBe(3000);
  });

  it("reports a listed path that cannot be read, with the other problems", () => {
    const temp = useTemp();
    const issues = issuesOf(() =>
      loadConfig({ port: env("PORT", z.coerce.number()) }, { env: {}, envFiles: [temp.folder] }),
    );
    expect(issues).toEqual([
      { variable: "", path: "", message: `env file ${temp.folder} cannot be read (EISDIR)` },
      {
        variable: "PORT",
        path: "port",
        message: "is required but not set (set PORT or PORT_FILE)",
      },
    ]);
  });

  it("names the file a bad value came from", () => {
    const temp = useTemp();
    const file = temp.write(".env", "PORT=eighty\n");
    expect(
      issuesOf(() =>
        loadConfig({ port: env("PORT", z.coerce.number()) }, { env: {}, envFiles: [file] }),
      ),
    ).toEqual([
      {
        variable: "PORT",
        path: "port",
        message: `Invalid input: expected number, received NaN, got "eighty" (from ${file})`,
      },
    ]);
  });

  it("reads NODE_ENV from the files for devDefault", () => {
    const temp = useTemp();
    const file = temp.write(".env", "NODE_ENV=production\n");
    const shape = { level: env("LOG_LEVEL", z.string(), { devDefault: "debug" }) };
    expect(issuesOf(() => loadConfig(shape, { env: {}, envFiles: [file] }))[0]?.variable).toBe(
      "LOG_LEVEL",
    );
    expect(loadConfig(shape, { env: { NODE_ENV: "development" }, envFiles: [file] }).level).toBe(
      "debug",
    );
  });

  it("checks strictPrefix against the files too, but not helpers that ${…} refers to", () => {
    const temp = useTemp();
    const file = temp.write(".env", "MCP_VAULT=v\nMCP_TOKEN=${MCP_VAULT}\nMCP_TOKN=typo\n");
    expect(
      issuesOf(() =>
        loadConfig(
          { token: secret("MCP_TOKEN", z.string()) },
          { env: {}, envFiles: [file], strictPrefix: "MCP_" },
        ),
      ),
    ).toEqual([
      {
        variable: "MCP_TOKN",
        path: "",
        message: `is set (in ${file}) but the config declares no such variable (strictPrefix "MCP_"); did you mean MCP_TOKEN?`,
      },
    ]);
  });
});
