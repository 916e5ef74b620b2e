// A runnable tour of @mcp-prod/config: `pnpm start` from the repository root,
// or `node packages/config/demo/demo.mjs` after a build. It needs no
// environment; set any variable (SERVER_PORT=8080, SECRET_FROM_VAULT=…) to
// see the real environment win over the file.
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { ConfigError, describeConfig, env, loadConfig, secret } from "../dist/index.js";

const shape = {
  nodeEnv: env("NODE_ENV", z.enum(["development", "production", "test"]).default("development")),
  logLevel: env("LOG_LEVEL", z.enum(["debug", "info", "warn", "error"]).default("info")),
  server: {
    host: env("SERVER_HOST", z.string().default("127.0.0.1")),
    port: env("SERVER_PORT", z.coerce.number().int().min(1).max(65535).default(3000)),
  },
  oauth: {
    issuer: env("OAUTH_ISSUER", z.url()),
    clientId: env("OAUTH_CLIENT_ID", z.string().min(1)),
    clientSecret: secret("OAUTH_CLIENT_SECRET", z.string().min(1)),
  },
  api: {
    baseUrl: env("API_BASE_URL", z.url()),
    key: secret("API_KEY", z.string().min(1)),
  },
  databaseUrl: secret("DATABASE_URL", z.string().startsWith("postgres")),
  sentryDsn: env("SENTRY_DSN", z.url().optional()),
  debug: env("DEBUG", z.stringbool().default(false)),
};

const envFile = relative(process.cwd(), fileURLToPath(new URL(".env.production", import.meta.url)));
const config = loadConfig(shape, { envFiles: [envFile] });

console.log("Loaded configuration (what a server logs at start-up):\n");
console.log(describeConfig(config));
console.log(`\nconfig.server.port is a ${typeof config.server.port}: ${config.server.port}`);
console.log(`console.log(config.oauth) shows`, config.oauth);
console.log(`JSON.stringify(config.api) gives ${JSON.stringify(config.api)}`);

console.log("\nThe same shape with a broken environment fails with every problem at once:\n");
try {
  loadConfig(shape, {
    envFiles: [envFile],
    env: {
      SERVER_PORT: "70000",
      OAUTH_ISSUER: "not-a-url",
      OAUTH_CLIENT_SECRET: "",
      DEBUG: "maybe",
    },
  });
} catch (error) {
  if (!ConfigError.isInstance(error)) throw error;
  console.log(`${error.name} (${error.code}): ${error.message}`);
}
