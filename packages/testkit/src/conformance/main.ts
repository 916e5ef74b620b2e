// Starts the conformance "everything" fixture as a process:
//   node --import tsx packages/testkit/src/conformance/main.ts [--port N] [--any-host]
// Prints one JSON line `{"event":"server_started","mcp":"http://127.0.0.1:N/mcp"}` once it
// listens, and closes on SIGTERM or SIGINT.
import { parseArgs } from "node:util";
import { startEverythingServer } from "./everything-server.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.SERVER_PORT ?? "0" },
    // Accept any Host and Origin (no DNS-rebinding protection): see `dnsRebindingProtection`.
    "any-host": { type: "boolean", default: false },
  },
});
const fixture = await startEverythingServer({
  port: Number(values.port),
  dnsRebindingProtection: !values["any-host"],
});
console.log(JSON.stringify({ event: "server_started", mcp: fixture.url }));
const stop = () => {
  void fixture.close().then(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
