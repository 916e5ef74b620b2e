import type { IdempotencyTransaction } from "@mcp-prod/idempotency";
import type { Pool } from "@mcp-prod/pool";
import { migrateUnderLock } from "@mcp-prod-examples/kit";

export const CHANNELS = ["email", "webhook"] as const;
export type Channel = (typeof CHANNELS)[number];
export const STATUSES = ["accepted", "delivered", "failed"] as const;
export type Status = (typeof STATUSES)[number];

export type NewNotification = {
  channel: Channel;
  to: string;
  subject?: string | undefined;
  body: string;
};

export type Notification = {
  id: string;
  channel: Channel;
  to: string;
  subject: string | null;
  status: Status;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
};

/** A notification claimed for delivery: what the provider is sent. */
export type Claimed = {
  id: string;
  channel: Channel;
  to: string;
  subject: string | null;
  body: string;
  attempts: number;
};

type Row = {
  id: string;
  channel: Channel;
  recipient: string;
  subject: string | null;
  body: string;
  status: Status;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
};

const toNotification = (row: Row): Notification => ({
  id: row.id,
  channel: row.channel,
  to: row.recipient,
  subject: row.subject,
  status: row.status,
  attempts: row.attempts,
  lastError: row.last_error,
  createdAt: row.created_at.toISOString(),
  deliveredAt: row.delivered_at?.toISOString() ?? null,
});

const COLUMNS =
  "id, channel, recipient, subject, status, attempts, last_error, created_at, delivered_at";

/**
 * Creates the outbox on start (idempotent), one replica at a time. A row is
 * due while `status = 'accepted'` and `next_attempt_at` has passed; claiming
 * it moves `next_attempt_at` a lease ahead, so a row whose claimer died is
 * due again once the lease has passed.
 */
export async function migrate(pool: Pool): Promise<void> {
  await migrateUnderLock(pool, "notification-mcp", async (tx) => {
    await tx.query(`CREATE TABLE IF NOT EXISTS notifications (
      id UUID PRIMARY KEY,
      channel TEXT NOT NULL,
      recipient TEXT NOT NULL,
      subject TEXT,
      body TEXT NOT NULL,
      status TEXT NOT NULL DEFAULT 'accepted',
      attempts INTEGER NOT NULL DEFAULT 0,
      last_error TEXT,
      next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      delivered_at TIMESTAMPTZ
    )`);
    await tx.query(
      "CREATE INDEX IF NOT EXISTS notifications_due ON notifications (next_attempt_at) WHERE status = 'accepted'",
    );
    await tx.query(
      "CREATE INDEX IF NOT EXISTS notifications_recipient ON notifications (recipient, created_at)",
    );
  });
}

/** Writes a notification to the outbox, accepted and due at once. */
export async function insertNotification(
  db: IdempotencyTransaction,
  id: string,
  input: NewNotification,
): Promise<Notification> {
  const { rows } = await db.query<Row>(
    `INSERT INTO notifications (id, channel, recipient, subject, body) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
    [id, input.channel, input.to, input.subject ?? null, input.body],
  );
  return toNotification(rows[0] as Row);
}

export async function getNotification(pool: Pool, id: string): Promise<Notification | undefined> {
  const { rows } = await pool.query<Row>(
    `SELECT ${COLUMNS} FROM notifications WHERE id = $1`,
    [id],
    {
      idempotent: true,
    },
  );
  return rows[0] ? toNotification(rows[0]) : undefined;
}

export async function listNotifications(
  pool: Pool,
  filter: { to?: string | undefined; status?: Status | undefined; limit: number },
): Promise<Notification[]> {
  const { rows } = await pool.query<Row>(
    `SELECT ${COLUMNS} FROM notifications
     WHERE ($1::text IS NULL OR recipient = $1) AND ($2::text IS NULL OR status = $2)
     ORDER BY created_at DESC, id LIMIT $3`,
    [filter.to ?? null, filter.status ?? null, filter.limit],
    { idempotent: true },
  );
  return rows.map(toNotification);
}

/**
 * Claims up to `limit` due notifications for `leaseMs`: rows another process
 * holds locked are skipped, not waited for.
 */
export async function claimDue(pool: Pool, limit: number, leaseMs: number): Promise<Claimed[]> {
  const { rows } = await pool.query<Row>(
    `UPDATE notifications SET next_attempt_at = now() + $2 * interval '1 millisecond'
     WHERE id IN (
       SELECT id FROM notifications
       WHERE status = 'accepted' AND next_attempt_at <= now()
       ORDER BY next_attempt_at LIMIT $1
       FOR UPDATE SKIP LOCKED)
     RETURNING id, channel, recipient, subject, body, attempts`,
    [limit, leaseMs],
  );
  return rows.map((row) => ({
    id: row.id,
    channel: row.channel,
    to: row.recipient,
    subject: row.subject,
    body: row.body,
    attempts: row.attempts,
  }));
}

export async function markDelivered(pool: Pool, id: string, attempts: number): Promise<void> {
  await pool.query(
    `UPDATE notifications SET status = 'delivered', attempts = attempts + $2, last_error = NULL,
       delivered_at = now() WHERE id = $1 AND status = 'accepted'`,
    [id, attempts],
  );
}

/**
 * Records a failed round: due again after `retryInMs`, or `failed` for good
 * once `maxAttempts` is reached (or when `final`).
 */
export async function markFailed(
  pool: Pool,
  id: string,
  update: {
    attempts: number;
    error: string;
    retryInMs: number;
    maxAttempts: number;
    final: boolean;
  },
): Promise<void> {
  await pool.query(
    `UPDATE notifications SET attempts = attempts + $2, last_error = $3,
       next_attempt_at = now() + $4 * interval '1 millisecond',
       status = CASE WHEN $5 OR attempts + $2 >= $6 THEN 'failed' ELSE status END
     WHERE id = $1 AND status = 'accepted'`,
    [
      id,
      update.attempts,
      update.error.slice(0, 500),
      update.retryInMs,
      update.final,
      update.maxAttempts,
    ],
  );
}

/**
 * Moves a notification's next round to `delayMs` from now without counting it
 * as failed (a rate limit, an open breaker, a shutdown), adding the `attempts` it made.
 */
export async function postpone(
  pool: Pool,
  id: string,
  delayMs: number,
  attempts = 0,
): Promise<void> {
  await pool.query(
    `UPDATE notifications SET next_attempt_at = now() + $2 * interval '1 millisecond',
       attempts = attempts + $3
     WHERE id = $1 AND status = 'accepted'`,
    [id, delayMs, attempts],
  );
}

/** Accepted notifications not delivered yet. */
export async function backlog(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ count: string }>(
    "SELECT count(*) AS count FROM notifications WHERE status = 'accepted'",
    [],
    { idempotent: true },
  );
  return Number(rows[0]?.count ?? 0);
}

/** How many accepted notifications wait, and for how long the oldest has (0 when none). */
export async function outboxAge(pool: Pool): Promise<{ backlog: number; oldestSeconds: number }> {
  const { rows } = await pool.query<{ backlog: string; oldest: string | null }>(
    `SELECT count(*) AS backlog, EXTRACT(EPOCH FROM now() - min(created_at)) AS oldest
     FROM notifications WHERE status = 'accepted'`,
    [],
    { idempotent: true },
  );
  return { backlog: Number(rows[0]?.backlog ?? 0), oldestSeconds: Number(rows[0]?.oldest ?? 0) };
}
