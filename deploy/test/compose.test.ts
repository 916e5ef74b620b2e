import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { loadConfig } from "@mcp-prod/config";
import { parseApiKeys } from "@mcp-prod/gateway";
import { parse as parseEnv } from "dotenv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { configShape as analyticsShape } from "../../examples/analytics/src/config.ts";
import { configShape as notificationShape } from "../../examples/notification/src/config.ts";
import { configShape as usersShape } from "../../examples/user-management/src/config.ts";
import { gatewayConfigShape as gatewayShape } from "../../packages/gateway/src/config.ts";
import {
  type ComposeService,
  composeFile,
  containerEnv,
  durationMs,
  envFilePath,
  initScripts,
  readCompose,
  root,
} from "./compose.ts";
import { servers } from "./servers.ts";

const compose = readCompose();
const service = (name: string) => compose.services[name] as ComposeService;
const exampleEnv = (name: string) =>
  parseEnv(readFileSync(join(root, "examples", name, ".env.production.example"), "utf8"));

/** Runs a healthcheck's CMD with `env`, as Docker runs it inside the container. */
const runHealthcheck = (test: string[], env: Record<string, string>) =>
  new Promise<number | null>((resolve) => {
    const [command, ...args] = test.slice(1);
    execFile(command === "node" ? process.execPath : (command as string), args, { env }).once(
      "exit",
      (code) => resolve(code),
    );
  });

const serve = (path: string) =>
  new Promise<HttpServer>((resolve) => {
    const server = createServer((req, res) => res.writeHead(req.url === path ? 200 : 404).end());
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
const portOf = (server: HttpServer) => String((server.address() as AddressInfo).port);

describe("the development compose file", () => {
  it("runs Redis 7 and PostgreSQL 16 with healthchecks, in a project of its own", () => {
    const dev = parse(readFileSync(join(root, "docker-compose.yml"), "utf8")) as {
      name: string;
      services: Record<string, { image: string; healthcheck?: { test: string[] } }>;
    };
    expect(dev.services.redis?.image).toMatch(/^redis:7/);
    expect(dev.services.postgres?.image).toMatch(/^postgres:16/);
    for (const each of Object.values(dev.services))
      expect(each.healthcheck?.test.length).toBeGreaterThan(0);
    // Two projects: bringing up the deployment stack never recreates the test databases.
    expect(dev.name).toBe("mcp-prod-dev");
    expect(compose.name).toBe("mcp-prod-deploy");
  });
});

describe("the deployment compose file", () => {
  it("runs every server, the upstream, the provider, Redis, PostgreSQL and a load balancer, each with a healthcheck that answers early", () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        ...servers.map((server) => server.name),
        "gateway-lb",
        "postgres",
        "provider",
        "redis",
        "upstream",
      ].sort(),
    );
    for (const [name, each] of Object.entries(compose.services)) {
      const healthcheck = each.healthcheck;
      expect(healthcheck?.test.length, name).toBeGreaterThan(0);
      // The first probe comes after start_interval, not after a whole interval: `up --wait` returns sooner.
      expect(durationMs(healthcheck?.start_period), name).toBeGreaterThan(0);
      expect(durationMs(healthcheck?.start_interval), name).toBeLessThanOrEqual(2000);
    }
  });

  it("builds each server's image from deploy/Dockerfile once, and runs the upstream and the provider on their servers' images", () => {
    for (const server of servers) {
      const each = service(server.name);
      expect(each.build?.dockerfile).toBe("deploy/Dockerfile");
      expect(each.build?.args).toEqual({ EXAMPLE: server.name, PORT: String(server.port) });
      expect(each.image).toBe(`localhost/mcp-prod/${server.name}:dev`);
    }
    const images = Object.values(compose.services)
      .filter((each) => each.build)
      .map((each) => each.image);
    expect(new Set(images).size).toBe(images.length);
    expect(service("upstream").build).toBeUndefined();
    expect(service("upstream").image).toBe(service("analytics").image);
    expect(service("upstream").command).toEqual(["node", "dist/upstream.js"]);
    expect(service("provider").build).toBeUndefined();
    expect(service("provider").image).toBe(service("notification").image);
    expect(service("provider").command).toEqual(["node", "dist/provider.js"]);
  });

  it("each stand-in listens where its server's env file sends the calls, and its healthcheck probes that port", async () => {
    const standIns = [
      { name: "upstream", server: "analytics", url: "API_BASE_URL", port: "UPSTREAM_PORT" },
      { name: "provider", server: "notification", url: "PROVIDER_URL", port: "PROVIDER_PORT" },
    ];
    for (const standIn of standIns) {
      const name = standIn.name;
      const env = containerEnv(compose, name);
      const target = new URL(exampleEnv(standIn.server)[standIn.url] ?? "");
      expect(target.hostname, name).toBe(name);
      expect(target.port, name).toBe(env[standIn.port]);
      expect(Object.keys(service(standIn.server).depends_on ?? {}), name).toContain(name);
      const ready = await serve("/status");
      try {
        const test = service(name).healthcheck?.test ?? [];
        expect(await runHealthcheck(test, { [standIn.port]: portOf(ready) }), name).toBe(0);
      } finally {
        ready.close();
      }
    }
  });

  it("server healthchecks probe whatever SERVER_PORT the env file sets", async () => {
    const ready = await serve("/health/ready");
    const other = await serve("/health/ready");
    const nothing = portOf(other);
    other.close();
    try {
      for (const server of servers) {
        const test = service(server.name).healthcheck?.test ?? [];
        expect(test.join(" "), server.name).not.toMatch(/127\.0\.0\.1:\d/);
        // Moved to another port in its env file, the server is still found healthy there...
        expect(await runHealthcheck(test, { SERVER_PORT: portOf(ready) }), server.name).toBe(0);
        // ...and a port where nothing answers is unhealthy.
        expect(await runHealthcheck(test, { SERVER_PORT: nothing }), server.name).toBe(1);
      }
    } finally {
      ready.close();
    }
  });

  it("keeps PostgreSQL's data in a named volume", () => {
    expect(service("postgres").volumes?.[0]).toBe("postgres-data:/var/lib/postgresql/data");
    expect(Object.keys(compose.volumes ?? {})).toEqual(["postgres-data"]);
  });

  it("PostgreSQL holds the database each server's DATABASE_URL names, and every server that needs it waits for it", () => {
    const postgres = service("postgres");
    const created = [
      postgres.environment?.POSTGRES_DB,
      ...initScripts(postgres).flatMap((file) =>
        [...readFileSync(file, "utf8").matchAll(/^CREATE DATABASE (\w+);$/gm)].map(
          (match) => match[1],
        ),
      ),
    ];
    const users = [];
    for (const server of servers) {
      const url = exampleEnv(server.name).DATABASE_URL;
      if (!url) continue;
      const database = new URL(url);
      expect(database.hostname, server.name).toBe("postgres");
      expect(decodeURIComponent(database.username), server.name).toBe(
        postgres.environment?.POSTGRES_USER,
      );
      expect(decodeURIComponent(database.password), server.name).toBe(
        postgres.environment?.POSTGRES_PASSWORD,
      );
      expect(created, server.name).toContain(database.pathname.slice(1));
      expect(service(server.name).depends_on?.postgres?.condition, server.name).toBe(
        "service_healthy",
      );
      users.push(server.name);
    }
    expect(users.sort()).toEqual(["notification", "user-management"]);
    // Each server its own database: their tables (and idempotency records) never mix.
    const names = users.map((name) => new URL(exampleEnv(name).DATABASE_URL ?? "").pathname);
    expect(new Set(names).size).toBe(names.length);
  });

  it("publishes only the load balancer, on loopback unless GATEWAY_PUBLISH says otherwise", () => {
    for (const [name, each] of Object.entries(compose.services))
      if (name !== "gateway-lb") expect(each.ports, name).toBeUndefined();
    expect(service("gateway-lb").ports).toEqual(["127.0.0.1:3000:3000"]);
    const text = readFileSync(composeFile, "utf8");
    expect(text).toContain(`"$\{GATEWAY_PUBLISH:-127.0.0.1:3000}:3000"`);
  });

  it("the load balancer spreads over every gateway replica on the gateway's port, and passes the client's address", () => {
    const config = readFileSync(join(root, "deploy", "haproxy.cfg"), "utf8");
    const gatewayPort = containerEnv(compose, "gateway").SERVER_PORT;
    // One server line per replica Docker's DNS returns for the service name (`--scale gateway=N`).
    expect(config).toMatch(
      new RegExp(
        `^\\s*server-template gateway 1-\\d+ gateway:${gatewayPort} check .*resolvers docker`,
        "m",
      ),
    );
    expect(config).toMatch(/^\s*nameserver dns 127\.0\.0\.11:53$/m);
    expect(config).toMatch(/^\s*bind :3000$/m);
    expect(config).toMatch(/^\s*option httpchk GET \/health\/ready$/m);
    // The edge drops what a client claims and sets the real address.
    expect(config).toMatch(/http-request del-header X-Forwarded-For[\s\S]*option forwardfor/);
    // Replicas can be scaled: nothing pins one container, and they share sessions through Redis.
    const gateway = containerEnv(compose, "gateway");
    expect(gateway.REDIS_URL).toBe("redis://redis:6379");
    expect(gateway.GATEWAY_SESSION_KEY).toMatch(/\S{32,}/);
    expect(gateway.GATEWAY_TRUSTED_PROXIES).toBeTruthy();
    expect(Object.keys(service("gateway"))).not.toContain("container_name");
  });

  it("reads each server's settings and secrets from its env_file, overriding none of them", () => {
    const text = readFileSync(composeFile, "utf8");
    // env_file with path/required and the top-level name need Compose v2.24.0.
    expect(text.split("\n").slice(0, 5).join("\n")).toMatch(/Docker Compose v2\.24\.0 or later/);
    for (const server of servers) {
      const each = service(server.name);
      expect(each.env_file).toEqual([
        { path: `../examples/${server.name}/.env.production`, required: true },
      ]);
      const fromFile = exampleEnv(server.name);
      const overridden = Object.keys(each.environment ?? {}).filter((key) => key in fromFile);
      expect(overridden, server.name).toEqual([]);
      for (const key of [
        "DATABASE_URL",
        "REDIS_URL",
        "API_KEY",
        "GATEWAY_API_KEYS",
        "GATEWAY_SESSION_KEY",
      ])
        expect(each.environment?.[key], `${server.name} ${key}`).toBeUndefined();
      // SIGTERM, then 5 s of drain and up to 20 s for calls in flight: Docker's 10 s would kill it.
      expect(durationMs(each.stop_grace_period), server.name).toBeGreaterThanOrEqual(25_000);
    }
    expect(service("user-management").environment?.ALLOWED_HOSTS).toBe("user-management");
    expect(service("analytics").environment?.ALLOWED_HOSTS).toBe("analytics");
    expect(service("notification").environment?.ALLOWED_HOSTS).toBe("notification");
  });

  it("each .env.production.example loads as the server's configuration, as copied", () => {
    const shapes = {
      "user-management": usersShape,
      analytics: analyticsShape,
      notification: notificationShape,
      gateway: gatewayShape,
    };
    expect(Object.keys(shapes).sort()).toEqual(servers.map((server) => server.name).sort());
    for (const server of servers) {
      const env = exampleEnv(server.name);
      expect(env.NODE_ENV, server.name).toBe("production");
      expect(env.SERVER_HOST, server.name).toBe("0.0.0.0");
      expect(env.SERVER_PORT, server.name).toBe(String(server.port));
      const envFile = envFilePath(`../examples/${server.name}/.env.production`);
      // No placeholder left to fill in: a copy is a working configuration.
      for (const [key, value] of Object.entries(env))
        expect(value, `${server.name} ${key}`).toMatch(/^(?!.*\$\{).+$/);
      const config = loadConfig(shapes[server.name], { env: {}, envFiles: [envFile] }) as {
        nodeEnv: string;
        apiKeys?: string;
      };
      expect(config.nodeEnv).toBe("production");
    }
    // Bound to 0.0.0.0, the gateway needs a way to authenticate its clients.
    expect(parseApiKeys(exampleEnv("gateway").GATEWAY_API_KEYS).length).toBeGreaterThan(0);
  });

  it("the OpenTelemetry overlay points every server at its collector", () => {
    const overlay = readCompose(join(root, "deploy", "docker-compose.otel.yml"));
    expect(Object.keys(overlay.services).sort()).toEqual(
      ["otel-collector", ...servers.map((server) => server.name)].sort(),
    );
    for (const server of servers) {
      const each = overlay.services[server.name];
      expect(each?.environment?.OTEL_EXPORTER_OTLP_ENDPOINT, server.name).toBe(
        "http://otel-collector:4318",
      );
      expect(each?.depends_on?.["otel-collector"], server.name).toEqual({
        condition: "service_started",
      });
    }
  });

  it("git ignores the copies, which hold secrets", () => {
    const paths = [
      ...servers.map((server) => `examples/${server.name}/.env.production`),
      "deploy/k8s/gateway/secret.env",
    ];
    const ignored = execFileSync("git", ["check-ignore", ...paths], {
      cwd: root,
      encoding: "utf8",
    });
    expect(ignored.trim().split("\n")).toEqual(paths);
    for (const server of servers)
      expect(() =>
        execFileSync(
          "git",
          ["check-ignore", "-q", `examples/${server.name}/.env.production.example`],
          {
            cwd: root,
          },
        ),
      ).toThrow();
  });
});
