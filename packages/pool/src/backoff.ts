import { abortReason, onAbort } from "@mcp-prod/internal";

/**
 * Exponential backoff with jitter: a random delay between half and all of
 * min(cap, base·2^attempt), so that many clients retrying together spread out
 * instead of arriving in waves, while each still waits a little.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts; leaves nothing behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const timer = setTimeout(() => {
      remove();
      resolve();
    }, ms);
    const remove = onAbort(signal, () => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    });
  });
}

const CONNECT_RETRY_BASE_MS = 25;
const CONNECT_RETRY_CAP_MS = 1000;

/** The wait before retrying a connect, a statement or a transaction after attempt number `attempt`. */
export function connectRetryDelay(attempt: number): number {
  return backoffDelay(attempt, CONNECT_RETRY_BASE_MS, CONNECT_RETRY_CAP_MS);
}
