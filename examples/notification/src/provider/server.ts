import { createServer, type IncomingMessage, type Server } from "node:http";

/** The knobs that make the stand-in provider slow and flaky, changeable at run time through `POST /knobs`. */
export type ProviderKnobs = {
  /** Added to every delivery's answer. */
  latencyMs: number;
  /** Share of deliveries answered 503 (and not recorded), from 0 to 1. */
  failureRate: number;
};

/** What the provider has seen: `GET /stats`. */
export type ProviderStats = {
  /** Deliveries accepted: one per idempotency key. */
  deliveries: number;
  /** Deliveries sent again with a key already delivered, answered with the first delivery and not counted again. */
  duplicates: number;
  /** Deliveries answered 503 by the failure knob. */
  failures: number;
  /** Every `POST /deliveries`, whatever its answer. */
  requests: number;
};

export type Delivery = {
  readonly id: string;
  readonly channel: string;
  readonly to: string;
  readonly subject?: string;
  readonly body: string;
  /** How many times it was sent: 1, plus the duplicates. */
  readonly received: number;
};

export type Provider = {
  readonly url: string;
  readonly port: number;
  readonly knobs: ProviderKnobs;
  stats(): ProviderStats;
  /** Every delivery accepted, by idempotency key. */
  deliveries(): ReadonlyMap<string, Delivery>;
  setKnobs(knobs: Partial<ProviderKnobs>): void;
  close(): Promise<void>;
};

export type ProviderOptions = {
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Where the failure knob draws from, e.g. a seeded source to replay a run. @default Math.random */
  readonly random?: () => number;
} & Partial<ProviderKnobs>;

const MAX_BODY_BYTES = 64 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY_BYTES) req.destroy(new Error("body too large"));
    });
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

/**
 * A loopback stand-in for an email/webhook provider, for the notification
 * example: `POST /deliveries` with an `Idempotency-Key` header accepts a
 * message once per key (a key seen again answers 200 with `duplicate: true`
 * and is counted as a duplicate, not delivered again), `GET /stats`,
 * `GET /status`, and `POST /knobs` to change its latency and failure rate
 * while it runs.
 */
export async function startProvider(options: ProviderOptions = {}): Promise<Provider> {
  const { host = "127.0.0.1", port = 0, random = Math.random } = options;
  const knobs: ProviderKnobs = {
    latencyMs: options.latencyMs ?? 0,
    failureRate: options.failureRate ?? 0,
  };
  const counts: ProviderStats = { deliveries: 0, duplicates: 0, failures: 0, requests: 0 };
  const delivered = new Map<string, Delivery>();
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://provider");
    const send = (status: number, body: unknown) => {
      if (!res.headersSent)
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    const later = (run: () => void) => {
      if (knobs.latencyMs <= 0) return run();
      const timer = setTimeout(() => {
        timers.delete(timer);
        run();
      }, knobs.latencyMs);
      timers.add(timer);
      res.on("close", () => {
        clearTimeout(timer);
        timers.delete(timer);
      });
    };
    if (url.pathname === "/status") return send(200, { status: "ok", knobs });
    if (url.pathname === "/stats") return send(200, counts);
    if (req.method !== "POST") return send(404, { error: "not found" });
    readBody(req).then(
      (text) => {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(text || "{}") as Record<string, unknown>;
        } catch {
          return send(400, { error: "body must be JSON" });
        }
        if (url.pathname === "/knobs") {
          if (typeof body.latencyMs === "number") knobs.latencyMs = body.latencyMs;
          if (typeof body.failureRate === "number") knobs.failureRate = body.failureRate;
          return send(200, knobs);
        }
        if (url.pathname !== "/deliveries") return send(404, { error: "not found" });
        counts.requests += 1;
        const key = req.headers["idempotency-key"];
        if (typeof key !== "string" || key === "") {
          return send(400, { error: "an Idempotency-Key header is required" });
        }
        if (
          typeof body.channel !== "string" ||
          typeof body.to !== "string" ||
          typeof body.body !== "string"
        ) {
          return send(400, { error: "channel, to and body are required" });
        }
        const { channel, to, subject } = body;
        later(() => {
          if (random() < knobs.failureRate) {
            counts.failures += 1;
            return send(503, { error: "provider unavailable" });
          }
          const first = delivered.get(key);
          if (first) {
            counts.duplicates += 1;
            delivered.set(key, { ...first, received: first.received + 1 });
            return send(200, { id: key, duplicate: true });
          }
          counts.deliveries += 1;
          delivered.set(key, {
            id: key,
            channel,
            to,
            ...(typeof subject === "string" ? { subject } : {}),
            body: body.body as string,
            received: 1,
          });
          send(202, { id: key, duplicate: false });
        });
      },
      () => send(400, { error: "body not received" }),
    );
  });

  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  return {
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${boundPort}`,
    port: boundPort,
    knobs,
    stats: () => ({ ...counts }),
    deliveries: () => delivered,
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
