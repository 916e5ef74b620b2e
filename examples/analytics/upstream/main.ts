import { startUpstream } from "./server.ts";

const upstream = await startUpstream({
  host: process.env.UPSTREAM_HOST ?? "127.0.0.1",
  port: Number(process.env.UPSTREAM_PORT ?? 8080),
  latencyMs: Number(process.env.UPSTREAM_LATENCY_MS ?? 150),
  failureRate: Number(process.env.UPSTREAM_FAILURE_RATE ?? 0.1),
  ...(process.env.API_KEY ? { apiKey: process.env.API_KEY } : {}),
});
console.log(
  `upstream API on ${upstream.url} (latency ${upstream.knobs.latencyMs} ms, failure rate ${upstream.knobs.failureRate})`,
);
const stop = () => {
  void upstream.close().then(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
