import { Console } from "node:console";
import { Writable } from "node:stream";
import { format, inspect, types } from "node:util";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { serverShape, validEnv } from "./config.test-helpers.ts";
import { ConfigError, describeConfig, loadConfig, secret } from "./index.ts";

const config = loadConfig(serverShape, { env: validEnv });
const secrets = [validEnv.OAUTH_CLIENT_SECRET, validEnv.DATABASE_URL];

function expectRedacted(text: string): void {
  for (const value of secrets) expect(text).not.toContain(value);
  expect(text).toContain("[redacted]");
}

/** What a real `console.log` writes, captured from a Console of our own. */
function consoleLog(...values: unknown[]): string {
  let written = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      written += String(chunk);
      done();
    },
  });
  new Console({ stdout: stream, stderr: stream }).log(...values);
  return written;
}

describe("secret redaction", () => {
  it("reads the secret's value through its property", () => {
    expect(config.oauth.clientSecret).toBe(validEnv.OAUTH_CLIENT_SECRET);
    expect(config.databaseUrl).toBe(validEnv.DATABASE_URL);
  });

  it("shows [redacted] in JSON.stringify of the config and of a nested object", () => {
    expect(JSON.parse(JSON.stringify(config))).toEqual({
      nodeEnv: "development",
      logLevel: "info",
      server: { host: "127.0.0.1", port: 3000 },
      oauth: {
        issuer: "https://auth.example.com",
        clientId: "mcp-server",
        clientSecret: "[redacted]",
      },
      databaseUrl: "[redacted]",
    });
    expect(JSON.stringify(config.oauth)).toBe(
      '{"issuer":"https://auth.example.com","clientId":"mcp-server","clientSecret":"[redacted]"}',
    );
    expectRedacted(JSON.stringify({ wrapped: config }, null, 2));
  });

  it("shows [redacted] in util.inspect, whatever the options", () => {
    expect(inspect(config.oauth)).toBe(
      "{\n  issuer: 'https://auth.example.com',\n  clientId: 'mcp-server',\n  clientSecret: '[redacted]'\n}",
    );
    expectRedacted(inspect(config, { depth: Number.POSITIVE_INFINITY }));
    expectRedacted(inspect(config, { showHidden: true }));
    expectRedacted(inspect({ nested: { deeper: config } }, { depth: 5 }));
    expectRedacted(format("%o %O %j", config, config.oauth, config));
  });

  it("shows [redacted] in console.log of the config and of a nested object", () => {
    expectRedacted(consoleLog(config));
    expectRedacted(consoleLog("config:", config.oauth));
    expectRedacted(consoleLog("%s", config));
  });

  it("shows [redacted] in String() and template literals", () => {
    expect(String(config.oauth)).toBe(
      '{"issuer":"https://auth.example.com","clientId":"mcp-server","clientSecret":"[redacted]"}',
    );
    expectRedacted(String(config));
    expectRedacted(`${config}`);
    expectRedacted(`${config.oauth}`);
    expectRedacted(`config: ${config}`);
  });

  it("shows [redacted] in describeConfig", () => {
    expectRedacted(describeConfig(config));
  });

  it("is no Proxy, so structuredClone and spreading copy the plain values", () => {
    expect(types.isProxy(config)).toBe(false);
    expect(types.isProxy(config.oauth)).toBe(false);
    const clone = structuredClone(config);
    expect(clone.server).toEqual({ host: "127.0.0.1", port: 3000 });
    expect(clone.oauth.clientSecret).toBe(validEnv.OAUTH_CLIENT_SECRET);
    expect({ ...config.server, port: 4000 }).toEqual({ host: "127.0.0.1", port: 4000 });
    expect(Object.keys(config.oauth)).toEqual(["issuer", "clientId", "clientSecret"]);
  });

  it("keeps the redaction hooks hidden from spreading and key listings", () => {
    const spread = { ...config.oauth };
    expect(Object.keys(spread)).toEqual(["issuer", "clientId", "clientSecret"]);
    expect(Object.getOwnPropertySymbols(spread)).toEqual([]);
    expect("toJSON" in spread).toBe(false);
  });

  it("never puts a secret's value in a ConfigError, even when a refinement quotes it", () => {
    const leaky = secret(
      "API_KEY",
      z.string().refine((value) => value.startsWith("sk-"), {
        error: (issue) => `API key ${String(issue.input)} must start with sk-`,
      }),
    );
    let caught: unknown;
    try {
      loadConfig({ apiKey: leaky }, { env: { API_KEY: "pk-live-8843" } });
    } catch (error) {
      caught = error;
    }
    expect(ConfigError.isInstance(caught)).toBe(true);
    const error = caught as ConfigError;
    expect(error.issues[0]?.message).toBe("API key [redacted] must start with sk-");
    expect(error.message).not.toContain("pk-live-8843");
    expect(inspect(error)).not.toContain("pk-live-8843");
    expect(JSON.stringify(error.issues)).not.toContain("pk-live-8843");
  });
});
