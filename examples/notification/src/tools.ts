import { randomUUID } from "node:crypto";
import {
  createPostgresStore,
  type IdempotencyStore,
  idempotencyTransaction,
  withIdempotency,
} from "@mcp-prod/idempotency";
import type { Pool } from "@mcp-prod/pool";
import type { Telemetry } from "@mcp-prod/telemetry";
import { z } from "zod";
import {
  CHANNELS,
  getNotification,
  insertNotification,
  listNotifications,
  type NewNotification,
  STATUSES,
  type Status,
} from "./outbox.ts";

const json = (value: unknown) => ({
  content: [{ type: "text" as const, text: JSON.stringify(value) }],
});
const problem = (text: string) => ({ content: [{ type: "text" as const, text }], isError: true });

/** What a client reads when the outbox fails: never its address, tables or the pool's numbers. */
export const OUTBOX_UNAVAILABLE =
  "The notification outbox is unavailable right now. Try again later.";

const noNul = (text: string) => !text.includes("\u0000");
const NUL_MESSAGE = "must not contain a NUL character";

export const sendInput = {
  channel: z
    .enum(CHANNELS)
    .describe('"email" (to is an address) or "webhook" (to is an http(s) URL)'),
  to: z.string().trim().min(1).max(2048).refine(noNul, NUL_MESSAGE).describe("The recipient"),
  subject: z.string().max(200).refine(noNul, NUL_MESSAGE).optional().describe("Email subject"),
  body: z.string().min(1).max(10_000).refine(noNul, NUL_MESSAGE).describe("The message"),
};
export const getInput = { id: z.uuid().describe("The id send_notification returned") };
export const listInput = {
  to: z.string().trim().min(1).max(2048).optional().describe("Only this recipient's"),
  status: z.enum(STATUSES).optional().describe("Only notifications in this state"),
  limit: z.number().int().min(1).max(100).default(20),
};

type Extra = { signal: AbortSignal };

/** Why `to` cannot be a recipient of `channel`, if it cannot. */
function recipientProblem({ channel, to }: NewNotification): string | undefined {
  if (channel === "email")
    return z.email().max(254).safeParse(to).success
      ? undefined
      : `"${to.slice(0, 80)}" is not an email address.`;
  const url = URL.parse(to);
  return url && (url.protocol === "https:" || url.protocol === "http:")
    ? undefined
    : "A webhook recipient must be an http(s) URL.";
}

/** Answers a thrown error with a client-safe message; telemetry, inside, has logged it. */
function clientSafe<A extends unknown[], R>(handler: (...args: A) => Promise<R>) {
  return async (...args: A): Promise<R | ReturnType<typeof problem>> => {
    try {
      return await handler(...args);
    } catch {
      return problem(OUTBOX_UNAVAILABLE);
    }
  };
}

/**
 * The notification tools, wrapped once (the idempotency store outlives the
 * per-request MCP servers). `send_notification` runs in the transaction of
 * its idempotency record, so the outbox row and the record commit together:
 * a call retried with the same `_meta["mcp-prod/idempotency-key"]` answers
 * with the id of the notification the first call accepted.
 */
export function createNotificationTools(deps: {
  pool: Pool;
  telemetry: Telemetry;
  /** Told when a notification was accepted, so it is delivered without waiting for the next poll. */
  onAccepted: () => void;
  store?: IdempotencyStore;
}) {
  const { pool, telemetry, onAccepted } = deps;
  const store = deps.store ?? createPostgresStore({ pool, transactional: true });

  const accept = withIdempotency(
    async (args: NewNotification, extra: Extra) => {
      const reason = recipientProblem(args);
      if (reason) return problem(reason);
      const notification = await insertNotification(
        idempotencyTransaction(extra),
        randomUUID(),
        args,
      );
      return json({
        id: notification.id,
        status: notification.status,
        createdAt: notification.createdAt,
      });
    },
    // A notification outlives any reasonable retry: keys are kept for a day (the default).
    { store, name: "send_notification", inProgressTtlMs: 30_000, waitTimeoutMs: 20_000 },
  );

  const sendNotification = clientSafe(
    telemetry.wrap("send_notification", async (args: NewNotification, extra: Extra) => {
      const result = await accept(args, extra);
      if ((result as { isError?: boolean }).isError !== true) onAccepted();
      return result;
    }),
  );

  const getNotificationTool = clientSafe(
    telemetry.wrap("get_notification", async ({ id }: { id: string }) => {
      const notification = await getNotification(pool, id);
      return notification ? json(notification) : problem(`No notification with id ${id}.`);
    }),
  );

  const listNotificationsTool = clientSafe(
    telemetry.wrap(
      "list_notifications",
      async (filter: { to?: string | undefined; status?: Status | undefined; limit: number }) => {
        const notifications = await listNotifications(pool, filter);
        return json({ notifications, count: notifications.length });
      },
    ),
  );

  return {
    sendNotification,
    getNotification: getNotificationTool,
    listNotifications: listNotificationsTool,
    close: () => store.close(),
  };
}

export type NotificationTools = ReturnType<typeof createNotificationTools>;
