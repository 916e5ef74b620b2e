import { createServer, type IncomingMessage } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { afterAll, describe, expect, it } from "vitest";
import { identityFromHeaders } from "./identity.ts";

const seen: Array<AuthInfo | undefined> = [];
const server = createServer((req: IncomingMessage, res) => {
  seen.push(identityFromHeaders(req));
  res.end();
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const address = server.address();
const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/`;
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("identityFromHeaders", () => {
  it("decodes the percent-encoded identity the gateway sends, in any script", async () => {
    await fetch(url, {
      headers: {
        "x-mcp-client-id": encodeURIComponent("zoë-日本-🚀"),
        "x-mcp-scopes": ["users", "ünïcode"].map(encodeURIComponent).join(" "),
        "x-mcp-subject": encodeURIComponent("Ωmega"),
      },
    });
    expect(seen.at(-1)).toEqual({
      token: "",
      clientId: "zoë-日本-🚀",
      scopes: ["users", "ünïcode"],
      extra: { via: "gateway", subject: "Ωmega" },
    });
  });

  it("sees no identity when the client id is missing or not valid percent-encoding", async () => {
    await fetch(url);
    await fetch(url, { headers: { "x-mcp-client-id": "%E0%A4%A" } });
    expect(seen.slice(-2)).toEqual([undefined, undefined]);
  });
});
