import { startProvider } from "./server.ts";

const provider = await startProvider({
  host: process.env.PROVIDER_HOST ?? "127.0.0.1",
  port: Number(process.env.PROVIDER_PORT ?? 8081),
  latencyMs: Number(process.env.PROVIDER_LATENCY_MS ?? 100),
  failureRate: Number(process.env.PROVIDER_FAILURE_RATE ?? 0.1),
});
console.log(
  `notification provider on ${provider.url} (latency ${provider.knobs.latencyMs} ms, failure rate ${provider.knobs.failureRate})`,
);
const stop = () => {
  void provider.close().then(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
