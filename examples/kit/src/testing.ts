// Helpers for the examples' end-to-end tests: run a built example server as a
// child process on a free port and talk to it with the SDK client.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { databaseUrl } from "@mcp-prod/testkit";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import pg from "pg";

export type RunningExample = {
  readonly url: string;
  readonly child: ChildProcess;
  /** Every log line the server printed, parsed. */
  readonly logs: Record<string, unknown>[];
  /** The same lines as printed (a parsed line hides a duplicated key). */
  readonly lines: string[];
  /** Resolves with the exit code once the process ended. */
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

const examplesDir = join(import.meta.dirname, "..", "..");

/** Starts `examples/<name>/dist/<entry>.js` on a free port and waits for its `server_started` line. */
export async function startExample(
  name: string,
  env: Record<string, string | undefined>,
  { entry = "main", timeoutMs = 30_000 } = {},
): Promise<RunningExample> {
  const script = join(examplesDir, name, "dist", `${entry}.js`);
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) =>
        ![
          "DATABASE_URL",
          "REDIS_URL",
          "NODE_OPTIONS",
          "VITEST",
          "VITEST_WORKER_ID",
          "VITEST_POOL_ID",
        ].includes(key),
    ),
  );
  const child = spawn(process.execPath, [script], {
    env: {
      ...clean,
      NODE_ENV: "test",
      LOG_LEVEL: "info",
      SERVER_PORT: "0",
      SHUTDOWN_DRAIN_MS: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  const lines: string[] = [];
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within ${timeoutMs} ms\n${stderr}`)),
      timeoutMs,
    );
    const reader = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    reader.on("line", (line) => {
      lines.push(line);
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        record = { msg: line };
      }
      logs.push(record);
      if (record.event === "server_started") {
        clearTimeout(timer);
        resolve(String(record.mcp).replace(/\/mcp$/, ""));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it started\n${stderr}`));
    });
  });
  return {
    url,
    child,
    logs,
    lines,
    exited,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 25_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * A schema of its own in the test PostgreSQL, so that test files running at
 * once never see each other's rows: `url` sets it as the search path, `drop()`
 * drops it with everything in it.
 */
export async function createTestSchema(
  prefix: string,
): Promise<{ readonly url: string; drop(): Promise<void> }> {
  const schema = `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = new pg.Pool({ connectionString: databaseUrl(), max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(databaseUrl());
  url.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: url.href,
    drop: async () => {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/** Starts example `name` on a schema of its own ({@link createTestSchema}); `stop()` drops it. */
export async function startOnOwnSchema(
  name: string,
  prefix: string,
  env: Record<string, string | undefined> = {},
): Promise<RunningExample> {
  const schema = await createTestSchema(prefix);
  let running: RunningExample;
  try {
    running = await startExample(name, { DATABASE_URL: schema.url, ...env });
  } catch (error) {
    await schema.drop();
    throw error;
  }
  return {
    ...running,
    stop: async (signal) => {
      const code = await running.stop(signal);
      await schema.drop();
      return code;
    },
  };
}

/**
 * user-management-mcp on a schema of its own in the test PostgreSQL, so that
 * test files running at once never see each other's users; `stop()` drops it.
 */
export function startUserManagement(
  env: Record<string, string | undefined> = {},
): Promise<RunningExample> {
  return startOnOwnSchema("user-management", "users", env);
}

/** An SDK client connected over Streamable HTTP. */
export async function connectClient(
  url: string,
  headers: Record<string, string> = {},
): Promise<Client> {
  const client = new Client({ name: "e2e", version: "0.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }),
  );
  return client;
}

export { call } from "@mcp-prod/testkit/mcp";

/** GET a path, with status and parsed JSON (or text). */
export async function get(url: string): Promise<{ status: number; body: unknown; text: string }> {
  const response = await fetch(url);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Prometheus text, not JSON
  }
  return { status: response.status, body, text };
}

/** A raw POST to `/mcp` in flight: its answer's status line, and its whole text once it ended. */
export type McpExchange = {
  readonly response: Promise<{ status: number; headers: Record<string, unknown> }>;
  /** Resolves with the body once the server ended the answer; rejects if the socket broke first. */
  readonly ended: Promise<string>;
  /** True once `ended` resolved. */
  readonly isEnded: () => boolean;
  /** Destroys the request (the client going away). */
  abort(): void;
};

/**
 * POSTs a JSON-RPC body to `<url>/mcp` with the headers given as is (`Host`
 * included, which `fetch` would not send), without waiting for the answer.
 */
export function startMcpRequest(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): McpExchange {
  const payload = JSON.stringify(body);
  let done = false;
  let req: ReturnType<typeof request> | undefined;
  let resolveResponse!: (value: { status: number; headers: Record<string, unknown> }) => void;
  const response = new Promise<{ status: number; headers: Record<string, unknown> }>((resolve) => {
    resolveResponse = resolve;
  });
  const ended = new Promise<string>((resolve, reject) => {
    req = request(
      `${url}/mcp`,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "content-length": Buffer.byteLength(payload),
          ...headers,
        },
      },
      (res) => {
        resolveResponse({ status: res.statusCode ?? 0, headers: res.headers });
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          done = true;
          resolve(text);
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
  ended.catch(() => {});
  return { response, ended, isEnded: () => done, abort: () => req?.destroy() };
}

/** {@link startMcpRequest}, waiting for the whole answer. */
export async function postMcp(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const exchange = startMcpRequest(url, body, headers);
  const text = await exchange.ended;
  return { ...(await exchange.response), text };
}

/** OTLP/HTTP JSON attributes, as far as these tests read them. */
type OtlpKeyValue = {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean };
};

/** One span a {@link startOtlpReceiver} received, its attributes flattened. */
export type ExportedSpan = {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  /** OTLP's numbering: 2 SERVER, 3 CLIENT. */
  readonly kind: number;
  /** `service.name` of the process that exported it. */
  readonly service: string | undefined;
  readonly attrs: Record<string, unknown>;
};

/** OTLP's `SPAN_KIND_SERVER` and `SPAN_KIND_CLIENT`. */
export const SPAN_KIND = { server: 2, client: 3 } as const;

function flattenAttributes(attributes: OtlpKeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries(
    (attributes ?? []).map(({ key, value }) => [
      key,
      value.stringValue ??
        (value.intValue !== undefined ? Number(value.intValue) : value.boolValue),
    ]),
  );
}

/**
 * A loopback OTLP/HTTP receiver, what a collector would get, decoded: point an
 * example at it with `env` (OTLP/HTTP JSON, the exporters' default) and read
 * `spans` and `metricNames`.
 */
export async function startOtlpReceiver(): Promise<{
  readonly url: string;
  /** The variables that point an example at it, exporting every 100 ms (spans) and 300 ms (metrics). */
  readonly env: Record<string, string>;
  readonly spans: ExportedSpan[];
  readonly metricNames: Set<string>;
  close(): Promise<void>;
}> {
  const spans: ExportedSpan[] = [];
  const metricNames = new Set<string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      if (req.url === "/v1/traces") {
        for (const resource of body.resourceSpans ?? []) {
          const service = flattenAttributes(resource.resource?.attributes)["service.name"];
          for (const scope of resource.scopeSpans ?? [])
            for (const span of scope.spans ?? [])
              spans.push({
                ...span,
                service: typeof service === "string" ? service : undefined,
                attrs: flattenAttributes(span.attributes),
              });
        }
      } else if (req.url === "/v1/metrics") {
        for (const resource of body.resourceMetrics ?? [])
          for (const scope of resource.scopeMetrics ?? [])
            for (const metric of scope.metrics ?? []) metricNames.add(metric.name);
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: url,
      OTEL_BSP_SCHEDULE_DELAY: "100",
      OTEL_METRIC_EXPORT_INTERVAL: "300",
    },
    spans,
    metricNames,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
