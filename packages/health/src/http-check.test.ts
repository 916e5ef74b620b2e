import { freePort, listen } from "@mcp-prod/testkit";
import { describe, expect, it, onTestFinished } from "vitest";
import { createHealth } from "./health.ts";
import { httpCheck } from "./http-check.ts";

async function upstream(status: () => number, hang = false) {
  const seen: Array<string | undefined> = [];
  const server = await listen((request, response) => {
    seen.push(request.headers.authorization);
    if (hang) return;
    response.writeHead(status()).end("body that is never read");
  });
  onTestFinished(() => server.close());
  return { ...server, seen };
}

async function report(check: ReturnType<typeof httpCheck>, timeoutMs = 2000) {
  const health = createHealth({ checks: { api: check }, timeoutMs, cacheMs: 0 });
  onTestFinished(() => health.close());
  return (await health.check()).checks.api;
}

describe("httpCheck", () => {
  it("is healthy on 2xx and unhealthy with the status in the error on 5xx, and recovers", async () => {
    let status = 200;
    const server = await upstream(() => status);
    const check = httpCheck(`${server.url}/status`, { headers: { authorization: "Bearer abc" } });
    expect(await report(check)).toMatchObject({ status: "healthy" });
    status = 503;
    expect(await report(check)).toMatchObject({
      status: "unhealthy",
      reason: "error",
      error: `GET ${server.url}/status answered 503`,
    });
    status = 204;
    expect(await report(check)).toMatchObject({ status: "healthy" });
    expect(server.seen).toEqual(["Bearer abc", "Bearer abc", "Bearer abc"]);
  });

  it("is unhealthy when nothing listens", async () => {
    const port = await freePort();
    const result = await report(httpCheck(`http://127.0.0.1:${port}/`));
    expect(result).toMatchObject({ status: "unhealthy", reason: "error" });
  });

  it("gives up on a server that never answers after its own timeoutMs", async () => {
    // A real socket to a server that never answers: the check's own deadline ends it.
    const server = await upstream(() => 200, true);
    const result = await report(httpCheck(server.url, { timeoutMs: 50 }), 5000);
    expect(result?.status).toBe("unhealthy");
    expect(result?.reason).toBe("error");
    expect(result?.error).toBe(`GET ${server.url}/ did not answer within its timeout (50 ms)`);
  });

  it("maps statuses with expect and hides URL credentials in errors", async () => {
    const server = await upstream(() => 429);
    const degradedOn429 = httpCheck(server.url, {
      expect: (status) => (status === 429 ? "degraded" : status < 400),
    });
    expect(await report(degradedOn429)).toMatchObject({ status: "degraded", reason: "reported" });
    const withPassword = httpCheck(`http://user:secret@127.0.0.1:${server.port}/`);
    const result = await report(withPassword);
    expect(result?.error).toBe(`GET http://user:***@127.0.0.1:${server.port}/ answered 429`);
    expect(server.seen.at(-1)).toBe(`Basic ${Buffer.from("user:secret").toString("base64")}`);
  });

  it("validates its options", () => {
    expect(() => httpCheck("not a url")).toThrow(TypeError);
    expect(() => httpCheck("http://127.0.0.1/", { timeoutMs: 0 })).toThrow(/`timeoutMs`/);
    // @ts-expect-error: an unsupported method
    expect(() => httpCheck("http://127.0.0.1/", { method: "DELETE" })).toThrow(/`method`/);
  });
});
