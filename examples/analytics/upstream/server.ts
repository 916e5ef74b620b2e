import { createServer, type Server } from "node:http";

/** The knobs that make the demo upstream slow and flaky, changeable at run time through `POST /knobs`. */
export type UpstreamKnobs = {
  /** Added to every answer. */
  latencyMs: number;
  /** Share of requests answered 503, from 0 to 1. */
  failureRate: number;
};

export type Upstream = {
  readonly url: string;
  readonly port: number;
  readonly knobs: UpstreamKnobs;
  /** Requests answered so far, by path. */
  readonly requests: number;
  setKnobs(knobs: Partial<UpstreamKnobs>): void;
  close(): Promise<void>;
};

const METRICS = ["active_users", "signups", "revenue", "churn"] as const;

function report(metric: string, days: number) {
  // Deterministic figures so answers can be compared across calls and instances.
  const seed = [...metric].reduce((sum, char) => sum + char.charCodeAt(0), 0);
  const points = Array.from({ length: days }, (_, index) => ({
    day: index + 1,
    value: ((seed * (index + 7)) % 997) + 100,
  }));
  const total = points.reduce((sum, point) => sum + point.value, 0);
  return { metric, days, total, points };
}

/**
 * A small analytics API for the analytics example: `GET /metrics`,
 * `GET /reports/:metric?days=N`, `GET /status`, and `POST /knobs` to change
 * its latency and failure rate while it runs.
 */
export async function startUpstream(
  options: { host?: string; port?: number; apiKey?: string } & Partial<UpstreamKnobs> = {},
): Promise<Upstream> {
  const { host = "127.0.0.1", port = 0, apiKey } = options;
  const knobs: UpstreamKnobs = {
    latencyMs: options.latencyMs ?? 0,
    failureRate: options.failureRate ?? 0,
  };
  let requests = 0;
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://upstream");
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    if (url.pathname === "/status") return send(200, { status: "ok", knobs });
    if (url.pathname === "/knobs" && req.method === "POST") {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk;
      });
      req.on("end", () => {
        try {
          const next = JSON.parse(body || "{}") as Partial<UpstreamKnobs>;
          if (typeof next.latencyMs === "number") knobs.latencyMs = next.latencyMs;
          if (typeof next.failureRate === "number") knobs.failureRate = next.failureRate;
          send(200, knobs);
        } catch {
          send(400, { error: "body must be JSON" });
        }
      });
      return;
    }
    if (apiKey && req.headers.authorization !== `Bearer ${apiKey}`) {
      return send(401, { error: "missing or wrong API key" });
    }
    requests += 1;
    const answer = () => {
      if (Math.random() < knobs.failureRate) return send(503, { error: "upstream unavailable" });
      if (url.pathname === "/metrics") return send(200, { metrics: METRICS });
      const match = /^\/reports\/([a-z_]+)$/.exec(url.pathname);
      if (match?.[1]) {
        if (!(METRICS as readonly string[]).includes(match[1])) {
          return send(404, { error: `unknown metric ${match[1]}` });
        }
        const days = Math.min(Math.max(Number(url.searchParams.get("days") ?? 7) || 7, 1), 90);
        return send(200, report(match[1], days));
      }
      send(404, { error: "not found" });
    };
    if (knobs.latencyMs <= 0) return answer();
    const timer = setTimeout(() => {
      timers.delete(timer);
      answer();
    }, knobs.latencyMs);
    timers.add(timer);
    res.on("close", () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
  });

  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  return {
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${boundPort}`,
    port: boundPort,
    knobs,
    get requests() {
      return requests;
    },
    setKnobs(next) {
      Object.assign(knobs, next);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
