import { env, secret } from "@mcp-prod/config";
import { serverConfigShape } from "@mcp-prod-examples/kit";
import { databaseConfigShape } from "@mcp-prod-examples/kit/database";
import { z } from "zod";

/**
 * The variables this server reads. Outside production everything has an
 * embedded default; under NODE_ENV=production the server refuses to start
 * without a real DATABASE_URL (the outbox must outlive the process) and
 * without PROVIDER_URL (no stand-in provider on loopback).
 */
export const configShape = {
  ...serverConfigShape(3003),
  ...databaseConfigShape(),
  provider: {
    /** The delivery provider; the stand-in on loopback outside production (`pnpm start:provider`). */
    url: env("PROVIDER_URL", z.url(), { devDefault: "http://127.0.0.1:8081" }),
    key: secret("PROVIDER_API_KEY", z.string().min(1).optional()),
    /** One HTTP attempt's limit. */
    timeoutMs: env("PROVIDER_TIMEOUT_MS", z.coerce.number().int().positive().default(5000)),
  },
  dispatch: {
    /** How often the dispatcher looks for due notifications (it is also woken by each send). */
    intervalMs: env("DISPATCH_INTERVAL_MS", z.coerce.number().int().positive().default(1000)),
    /** Deliveries in flight at once (the bulkhead's limit). */
    concurrency: env("DISPATCH_CONCURRENCY", z.coerce.number().int().positive().default(8)),
    /**
     * How long a claimed notification is held by the process that claimed it;
     * past it (the process died), it is due again. Longer than a delivery with its retries.
     */
    leaseMs: env("DISPATCH_LEASE_MS", z.coerce.number().int().positive().default(30_000)),
    /** Delivery rounds before a notification is marked failed. */
    maxAttempts: env("DISPATCH_MAX_ATTEMPTS", z.coerce.number().int().positive().default(10)),
    /** Deliveries per recipient per minute. */
    perRecipientPerMinute: env(
      "DISPATCH_PER_RECIPIENT_PER_MINUTE",
      z.coerce.number().int().positive().default(60),
    ),
  },
  breaker: {
    resetTimeoutMs: env(
      "BREAKER_RESET_TIMEOUT_MS",
      z.coerce.number().int().positive().default(30_000),
    ),
  },
};
