import { describe, expect, it } from "vitest";
import { createRequestGuard, isLoopback } from "./rebinding.ts";

describe("createRequestGuard", () => {
  const local = createRequestGuard({ bindHost: "127.0.0.1" });

  it("bound to loopback, accepts the loopback names on any port and nothing else", () => {
    for (const host of ["127.0.0.1:3001", "localhost:3001", "LOCALHOST", "[::1]:80", "127.0.0.1"])
      expect(local({ host }), host).toBeUndefined();
    for (const host of [
      "evil.example.com",
      "evil.example.com:3001",
      "10.0.0.5:3001",
      "localhost.evil.example.com",
      "user@localhost",
      "localhost/x",
      "",
      undefined,
    ])
      expect(local({ host }), String(host)).toMatch(/^Host .* is not allowed$/);
  });

  it("accepts a browser Origin only when it is the server's own or listed", () => {
    expect(local({ host: "127.0.0.1:3001", origin: "http://127.0.0.1:3001" })).toBeUndefined();
    expect(local({ host: "localhost:3001", origin: "http://localhost:5173" })).toBe(
      "Origin http://localhost:5173 is not allowed",
    );
    expect(local({ host: "localhost:3001", origin: "null" })).toBe("Origin null is not allowed");
    expect(local({ host: "localhost:3001", origin: "http://evil.example.com" })).toMatch(/Origin/);
    const listed = createRequestGuard({
      bindHost: "127.0.0.1",
      allowedOrigins: ["http://localhost:5173/"],
    });
    expect(listed({ host: "localhost:3001", origin: "http://localhost:5173" })).toBeUndefined();
  });

  it("a rebound name is refused even when its Origin matches its Host", () => {
    expect(
      local({ host: "evil.example.com:3001", origin: "http://evil.example.com:3001" }),
    ).toMatch(/^Host/);
  });

  it("bound elsewhere, accepts IP literals and the configured names only", () => {
    const open = createRequestGuard({
      bindHost: "0.0.0.0",
      allowedHosts: ["user-management", "gateway.example.com:8443", ".svc.cluster.local"],
    });
    for (const host of [
      "10.0.0.5:3001",
      "[fd00::1]:3001",
      "user-management:3001",
      "USER-MANAGEMENT",
      "gateway.example.com:8443",
      "user-management-mcp.prod.svc.cluster.local",
      "localhost:3001",
    ])
      expect(open({ host }), host).toBeUndefined();
    for (const host of ["gateway.example.com", "evil.example.com", "svc.cluster.local.evil.com"])
      expect(open({ host }), host).toMatch(/^Host/);
    expect(createRequestGuard({ bindHost: "0.0.0.0" })({ host: "analytics:3002" })).toMatch(
      /^Host/,
    );
  });
});

describe("isLoopback", () => {
  it("knows the loopback addresses", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"])
      expect(isLoopback(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "10.0.0.1", "example.com"])
      expect(isLoopback(host), host).toBe(false);
  });
});
