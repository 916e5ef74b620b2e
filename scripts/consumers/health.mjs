// A health endpoint on a real HTTP server answers its probes.
import { createServer } from "node:http";

export async function smoke(mod) {
  const health = mod.createHealth({ checks: { database: async () => "healthy" } });
  const server = createServer(health.nodeHandler());
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    const before = await fetch(`${base}/health/ready`);
    if (before.status !== 503) throw new Error(`ready before markReady: ${before.status}`);
    health.markReady();
    const ready = await fetch(`${base}/health/ready`);
    const body = await (await fetch(`${base}/health`)).json();
    if (ready.status !== 200 || body.status !== "healthy" || body.checks.database !== "healthy") {
      throw new Error(`unexpected health: ${JSON.stringify(body)}`);
    }
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    health.close();
  }
}
