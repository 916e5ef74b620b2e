import { describe, expect, it } from "vitest";
import { createGateway } from "./index.ts";

/** Options as a JavaScript caller or a config file would pass them: unchecked by tsc. */
const loose = (options: Record<string, unknown>) => options as never;
const backends = [{ url: "http://127.0.0.1:9/mcp" }];

describe("unknown options are refused at once, naming the key and the right one", () => {
  it.each([
    [
      { backends, backendTimeoutMS: 1000 },
      "Unknown option `backendTimeoutMS` in createGateway(); did you mean `backendTimeoutMs`?",
    ],
    [
      { backends, timeout: 1000 },
      "Unknown option `timeout` in createGateway(): use `backendTimeoutMs` (milliseconds)",
    ],
    [{ servers: backends }, "Unknown option `servers` in createGateway(): use `backends`"],
    [
      { backends: [{ url: backends[0]?.url, prefx: "users" }] },
      "Unknown option `prefx` in createGateway() backends; did you mean `prefix`?",
    ],
    [
      { backends, breaker: { resetTimout: 1000 } },
      "Unknown option `resetTimout` in createGateway() breaker; did you mean `resetTimeout`?",
    ],
    [
      { backends, breaker: { timeout: 1000 } },
      "Unknown option `timeout` in createGateway() breaker: use `backendTimeoutMs` of the gateway (the breaker never cuts a call itself)",
    ],
    [
      { backends, sessionKey: "k".repeat(40) },
      "Unknown option `sessionKey` in createGateway(): use `sessionKeys` (an array: the current key, then the previous one)",
    ],
    [
      { backends, maxResultByte: 1000 },
      "Unknown option `maxResultByte` in createGateway(); did you mean `maxResultBytes`?",
    ],
  ])("createGateway(%j) refuses it", async (options, message) => {
    await expect(createGateway(loose(options))).rejects.toThrow(new TypeError(message));
  });
});

describe("the new bounds and keys are checked before anything starts", () => {
  it.each([
    [
      { backends, sessionKeys: ["too-short"] },
      "Expected `sessionKeys[0]` to be at least 32 characters",
    ],
    [{ backends, trustedProxies: ["10.0.0.0/40"] }, "Expected `trustedProxies` entries"],
    [{ backends, trustedProxies: ["proxy.internal"] }, "Expected `trustedProxies` entries"],
    [{ backends, maxResultBytes: 0 }, "`maxResultBytes`"],
    [{ backends, maxCallMs: -1 }, "`maxCallMs`"],
    [{ backends, maxSessionsPerIdentity: 1.5 }, "`maxSessionsPerIdentity`"],
    [{ backends, maxBackendConnectionsPerIdentity: 0 }, "`maxBackendConnectionsPerIdentity`"],
  ])("createGateway(%j) refuses it", async (options, message) => {
    await expect(createGateway(loose(options))).rejects.toThrow(message);
  });
});
