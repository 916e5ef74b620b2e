import { backoffDelay, delay } from "@mcp-prod/internal";

const POLL = { jitter: "equal", minDelayMs: 10, maxDelayMs: 250 } as const;

/** One wait of a store that learns of a finished call by reading again: backoff from 10 ms to 250 ms, within `timeoutMs`. */
export function pollDelay(
  timeoutMs: number,
  attempt: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  return delay(Math.min(timeoutMs, backoffDelay(attempt + 1, POLL)), signal);
}
