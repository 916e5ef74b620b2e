import { type Backoff, backoffDelay } from "@mcp-prod/internal";

const CONNECT_RETRY: Backoff = { jitter: "equal", minDelayMs: 25, maxDelayMs: 1000 };

/** The wait before retrying a connect, a statement or a transaction after attempt number `attempt` (from 0). */
export function connectRetryDelay(attempt: number): number {
  return backoffDelay(attempt + 1, CONNECT_RETRY);
}
