import { createServer, get } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, onTestFinished } from "vitest";
import { clientAddress, followClientAddresses } from "./client-address.ts";

describe("clientAddress", () => {
  it("is the remote address of the request the code runs for, across awaits and for concurrent requests", async () => {
    followClientAddresses();
    const server = createServer(async (request, response) => {
      // Later turns of the event loop, as a tool handler behind a transport runs.
      await sleep(Number(request.headers["x-delay"] ?? 0));
      await Promise.resolve();
      response.end(JSON.stringify({ seen: clientAddress(), socket: request.socket.remoteAddress }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    // Three clients from three loopback addresses, the first answered last.
    const clients = [
      { from: "127.0.0.1", delay: 40 },
      { from: "127.0.0.2", delay: 0 },
      { from: "127.0.0.3", delay: 20 },
    ];
    const answers = await Promise.all(
      clients.map(
        ({ from, delay }) =>
          new Promise<{ seen?: string; socket?: string }>((resolve, reject) => {
            get(
              {
                host: "127.0.0.1",
                port,
                localAddress: from,
                headers: { "x-delay": String(delay) },
              },
              (response) => {
                let body = "";
                response.on("data", (chunk) => {
                  body += chunk;
                });
                response.on("end", () => resolve(JSON.parse(body)));
              },
            ).on("error", reject);
          }),
      ),
    );
    expect(answers.map((answer) => answer.seen)).toEqual(["127.0.0.1", "127.0.0.2", "127.0.0.3"]);
    for (const answer of answers) expect(answer.seen).toBe(answer.socket);
  });

  it("is undefined outside any HTTP request", () => {
    followClientAddresses();
    expect(clientAddress()).toBeUndefined();
  });
});
