#!/usr/bin/env node
import { startFromEnv } from "./main.ts";

startFromEnv().catch((error: unknown) => {
  process.stderr.write(
    `mcp-prod-gateway: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
