import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it, onTestFinished } from "vitest";
import {
  createRateLimiter,
  RateLimitExceededError,
  type RateLimitResponseBody,
  rateLimitHeaders,
  rateLimitResponse,
} from "./index.ts";

async function listen(server: Server): Promise<string> {
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("limiter.nodeMiddleware on a real HTTP server", () => {
  it("answers 429 with Retry-After and a JSON body over the limit, per API key", async () => {
    const limiter = createRateLimiter({ points: 2, durationSeconds: 60 });
    const guard = limiter.nodeMiddleware({
      key: (request) => request.headers["x-api-key"] as string | undefined,
    });
    let served = 0;
    const url = await listen(
      createServer(async (request, response) => {
        if (!(await guard(request, response))) return;
        served += 1;
        response.end("ok");
      }),
    );
    const asAlice = { headers: { "x-api-key": "alice" } };

    const first = await fetch(url, asAlice);
    await fetch(url, asAlice);
    const refused = await fetch(url, asAlice);
    const bob = await fetch(url, { headers: { "x-api-key": "bob" } });

    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-limit")).toBe("2");
    expect(first.headers.get("ratelimit-remaining")).toBe("1");
    expect(first.headers.get("ratelimit-reset")).toBe("60");
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get("content-type")).toBe("application/json");
    expect(refused.headers.get("ratelimit-remaining")).toBe("0");
    const body = (await refused.json()) as RateLimitResponseBody;
    expect(body).toEqual({
      error: "rate_limit_exceeded",
      message: `Rate limit exceeded, retry after ${retryAfter} s (limit: 2 per 60 s)`,
      retryAfterSeconds: retryAfter,
    });
    expect(bob.status).toBe(200);
    expect(served).toBe(3);
  });

  it("calls next() when allowed and not when refused (Express/Connect style)", async () => {
    const limiter = createRateLimiter({ points: 1, durationSeconds: 60 });
    const guard = limiter.nodeMiddleware();
    const nexts: unknown[] = [];
    const url = await listen(
      createServer((request, response) => {
        void guard(request, response, (error) => {
          nexts.push(error);
          response.end("ok");
        });
      }),
    );
    expect((await fetch(url)).status).toBe(200);
    expect((await fetch(url)).status).toBe(429);
    // The default key is the client address: both requests came from 127.0.0.1.
    expect(nexts).toEqual([undefined]);
  });

  it("hands an error of the key function to next(error)", async () => {
    const limiter = createRateLimiter({ points: 1, durationSeconds: 60 });
    const failure = new Error("no key");
    const guard = limiter.nodeMiddleware({
      key: () => {
        throw failure;
      },
    });
    const nexts: unknown[] = [];
    const url = await listen(
      createServer((request, response) => {
        void guard(request, response, (error) => {
          nexts.push(error);
          response.statusCode = 500;
          response.end();
        });
      }),
    );
    expect((await fetch(url)).status).toBe(500);
    expect(nexts).toEqual([failure]);
  });
});

describe("rateLimitResponse and rateLimitHeaders", () => {
  it("builds a Fetch API 429 Response with Retry-After in whole seconds", async () => {
    const error = new RateLimitExceededError({
      key: "alice",
      retryAfterMs: 1_200,
      limit: 5,
      durationSeconds: 10,
    });
    const response = rateLimitResponse(error);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("2");
    expect(await response.json()).toEqual({
      error: "rate_limit_exceeded",
      message: "Rate limit exceeded, retry after 2 s (limit: 5 per 10 s)",
      retryAfterSeconds: 2,
    });
  });

  it("never advertises Retry-After: 0, which would invite an immediate retry", () => {
    const error = new RateLimitExceededError({
      key: "k",
      retryAfterMs: 3,
      limit: 1,
      durationSeconds: 1,
    });
    expect(rateLimitHeaders(error)["Retry-After"]).toBe("1");
  });

  it("describes an allowed call without Retry-After", async () => {
    const limiter = createRateLimiter({ points: 10, durationSeconds: 30 });
    const headers = rateLimitHeaders(await limiter.consume("alice"));
    expect(headers).toEqual({
      "RateLimit-Limit": "10",
      "RateLimit-Remaining": "9",
      "RateLimit-Reset": "30",
    });
  });
});
