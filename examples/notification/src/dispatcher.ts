import { BreakerOpenError, createBreaker, type SharedBreaker } from "@mcp-prod/breaker";
import { createBulkhead } from "@mcp-prod/bulkhead";
import type { CheckObservation } from "@mcp-prod/health";
import type { Pool } from "@mcp-prod/pool";
import { createRateLimiter, RateLimitExceededError } from "@mcp-prod/ratelimit";
import { createRetryBudget, retry } from "@mcp-prod/retry";
import type { Telemetry } from "@mcp-prod/telemetry";
import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import {
  backlog,
  CHANNELS,
  type Channel,
  type Claimed,
  claimDue,
  markDelivered,
  markFailed,
  outboxAge,
  postpone,
} from "./outbox.ts";

export type DispatcherSettings = {
  readonly providerUrl: string;
  readonly providerKey?: string | undefined;
  /** One HTTP attempt's limit (the breaker's timeout). */
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly maxAttempts: number;
  readonly perRecipientPerMinute: number;
  readonly breakerResetTimeoutMs: number;
};

export type Dispatcher = {
  /** Looks for due notifications now rather than at the next interval. */
  wake(): void;
  /**
   * A readiness check reporting the backlog (accepted, not yet delivered) as its
   * observed value: degraded when an accepted notification has waited
   * longer than {@link STUCK_AFTER_SECONDS} (the provider is failing, or nothing
   * dispatches); unhealthy when the outbox cannot be read.
   */
  healthCheck(): Promise<CheckObservation>;
  /** Stops claiming, waits for the deliveries in flight, and releases what it holds. */
  close(): Promise<void>;
};

/** How long an accepted notification may wait before readiness reports the outbox degraded. */
export const STUCK_AFTER_SECONDS = 300;

/** A provider answer that is not 2xx. 4xx (but 408 and 429) is the message's fault: never retried. */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
  readonly transient: boolean;
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.transient = status >= 500 || status === 408 || status === 429;
  }
}

/** The wait before a failed notification's next round: doubling from 250 ms, at most a minute. */
const roundDelayMs = (attempts: number) => Math.min(60_000, 250 * 2 ** Math.min(attempts, 8));

/**
 * Delivers the outbox: claims due notifications (`FOR UPDATE SKIP LOCKED`,
 * for a lease), and sends each to the provider with the notification id as
 * its `Idempotency-Key`, so a redelivery after a crash is deduplicated there.
 * Each delivery waits for its recipient's rate limit, runs in a bulkhead, and
 * retries (within a budget) through its channel's breaker.
 */
export function createDispatcher(deps: {
  pool: Pool;
  settings: DispatcherSettings;
  telemetry: Telemetry;
  registry: Registry;
  logger: Logger;
}): Dispatcher {
  const { pool, settings, logger, registry } = deps;
  const breakers = Object.fromEntries(
    CHANNELS.map((channel) => [
      channel,
      createBreaker({
        name: `provider-${channel}`,
        timeout: settings.timeoutMs,
        errorThresholdPercentage: 50,
        volumeThreshold: 10,
        resetTimeout: settings.breakerResetTimeoutMs,
        // A refused message says nothing about the provider's health.
        errorFilter: (error) => error instanceof ProviderError && !error.transient,
      }),
    ]),
  ) as Record<Channel, SharedBreaker>;
  for (const breaker of Object.values(breakers)) deps.telemetry.observeBreaker(breaker);
  const bulkhead = createBulkhead({
    name: "deliveries",
    limit: settings.concurrency,
    queue: settings.concurrency,
  });
  const limiter = createRateLimiter({
    name: "recipients",
    points: settings.perRecipientPerMinute,
    durationSeconds: 60,
  });
  deps.telemetry.observeRateLimiter(limiter);
  const budget = createRetryBudget({ ratio: 0.2, minPerSecond: 5 });

  const deliveries = new Counter({
    name: "notification_deliveries_total",
    help: "Delivery rounds by channel and outcome (delivered, retry, failed, postponed).",
    labelNames: ["channel", "outcome"],
    registers: [registry],
  });
  const attempts = new Counter({
    name: "notification_delivery_attempts_total",
    help: "HTTP requests to the provider by channel and result (ok, error).",
    labelNames: ["channel", "result"],
    registers: [registry],
  });
  new Gauge({
    name: "notification_outbox_backlog",
    help: "Accepted notifications not delivered yet.",
    registers: [registry],
    async collect() {
      this.set(await backlog(pool).catch(() => Number.NaN));
    },
  });

  const closing = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let ticking = false;
  let again = false;
  const capacity = settings.concurrency * 2;

  const post = async (row: Claimed, signal: AbortSignal) => {
    const response = await fetch(new URL("/deliveries", settings.providerUrl), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "idempotency-key": row.id,
        ...(settings.providerKey ? { authorization: `Bearer ${settings.providerKey}` } : {}),
      },
      body: JSON.stringify({
        channel: row.channel,
        to: row.to,
        ...(row.subject === null ? {} : { subject: row.subject }),
        body: row.body,
      }),
      signal,
    });
    const text = await response.text().catch(() => "");
    if (!response.ok)
      throw new ProviderError(
        response.status,
        `provider answered ${response.status}: ${text.slice(0, 200)}`,
      );
  };

  const deliver = async (row: Claimed) => {
    let sent = 0;
    try {
      await limiter.consume(row.to);
      await bulkhead.execute(
        ({ signal }) =>
          retry(
            () =>
              breakers[row.channel].execute(async ({ signal: attemptSignal }) => {
                sent += 1;
                try {
                  await post(row, attemptSignal);
                  attempts.inc({ channel: row.channel, result: "ok" });
                } catch (error) {
                  attempts.inc({ channel: row.channel, result: "error" });
                  throw error;
                }
              }),
            { attempts: 3, minDelayMs: 100, maxDelayMs: 2000, budget, signal },
          ),
        { signal: closing.signal },
      );
      await markDelivered(pool, row.id, sent);
      deliveries.inc({ channel: row.channel, outcome: "delivered" });
    } catch (error) {
      if (closing.signal.aborted) {
        // Interrupted by close(): due again at once, for another replica or this one restarted
        // (a request that reached the provider is deduplicated there by its key).
        await postpone(pool, row.id, 0, sent).catch(() => {});
        return;
      }
      if (
        RateLimitExceededError.isInstance(error) ||
        (BreakerOpenError.isInstance(error) && sent === 0)
      ) {
        deliveries.inc({ channel: row.channel, outcome: "postponed" });
        await postpone(pool, row.id, Math.max(error.retryAfterMs, settings.intervalMs), sent).catch(
          () => {},
        );
        return;
      }
      const final = error instanceof ProviderError && !error.transient;
      const total = row.attempts + sent;
      const failed = final || total >= settings.maxAttempts;
      deliveries.inc({ channel: row.channel, outcome: failed ? "failed" : "retry" });
      logger.warn(
        {
          event: "delivery_failed",
          notification: row.id,
          attempts: total,
          final: failed,
          err: error,
        },
        "delivery failed",
      );
      await markFailed(pool, row.id, {
        attempts: sent,
        error: (error as Error).message ?? String(error),
        retryInMs: roundDelayMs(total),
        maxAttempts: settings.maxAttempts,
        final,
      }).catch(() => {});
    }
  };

  const tick = async () => {
    if (ticking) {
      again = true;
      return;
    }
    ticking = true;
    try {
      do {
        again = false;
        const free = capacity - inFlight.size;
        if (closing.signal.aborted || free <= 0) break;
        const rows = await claimDue(pool, free, settings.leaseMs);
        for (const row of rows) {
          const delivery = deliver(row).finally(() => {
            inFlight.delete(delivery);
            wake();
          });
          inFlight.add(delivery);
        }
        if (rows.length === free) again = true;
      } while (again);
    } catch (error) {
      logger.warn({ event: "dispatch_failed", err: error }, "could not claim due notifications");
    } finally {
      ticking = false;
      schedule();
    }
  };

  const schedule = () => {
    if (closing.signal.aborted) return;
    clearTimeout(timer);
    timer = setTimeout(() => void tick(), settings.intervalMs);
  };

  function wake() {
    if (closing.signal.aborted) return;
    clearTimeout(timer);
    timer = setTimeout(() => void tick(), 0);
  }

  wake();
  return {
    wake,
    async healthCheck() {
      const { backlog, oldestSeconds } = await outboxAge(pool);
      return {
        status: oldestSeconds > STUCK_AFTER_SECONDS ? "degraded" : "healthy",
        observedValue: backlog,
        observedUnit: "notifications",
      };
    },
    async close() {
      if (closing.signal.aborted) return;
      closing.abort(new Error("the dispatcher is closing"));
      clearTimeout(timer);
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      bulkhead.close();
      for (const breaker of Object.values(breakers)) breaker.close();
      await limiter.close();
    },
  };
}
