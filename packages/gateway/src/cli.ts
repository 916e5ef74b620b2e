#!/usr/bin/env node
import { describeError } from "@mcp-prod/internal";
import { helpText, readArguments, VERSION } from "./command.ts";
import { startFromEnv } from "./main.ts";

const request = readArguments(process.argv.slice(2));
if (request.kind === "help") process.stdout.write(helpText());
else if (request.kind === "version") process.stdout.write(`${VERSION}\n`);
else if (request.kind === "refused") {
  process.stderr.write(`mcp-prod-gateway: ${request.message}\n`);
  process.exitCode = 2;
} else
  startFromEnv(process.env, { strict: true }).catch((error: unknown) => {
    process.stderr.write(`mcp-prod-gateway: ${describeError(error)}\n`);
    process.exit(1);
  });
