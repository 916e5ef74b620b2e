import { abortReason, onAbort } from "@mcp-prod/internal";

export function noop(): void {}

/** Runs `promise` under an optional timeout and signal; `onGiveUp` learns that the caller stopped waiting. */
export function bounded<T>(
  promise: Promise<T>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  onGiveUp: (reason: unknown) => void,
  makeTimeoutError: () => Error,
  onError?: (error: unknown) => void,
): Promise<T> {
  if (timeoutMs <= 0 && !signal) {
    if (!onError) return promise;
    return promise.catch((error: unknown) => {
      onError(error);
      throw error;
    });
  }
  if (signal?.aborted) {
    promise.catch(noop);
    const reason = abortReason(signal);
    onGiveUp(reason);
    return Promise.reject(reason);
  }
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const giveUp = (reason: unknown) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      removeAbort();
      promise.catch(noop);
      onGiveUp(reason);
      reject(reason);
    };
    const timer = timeoutMs > 0 ? setTimeout(() => giveUp(makeTimeoutError()), timeoutMs) : 0;
    const removeAbort = onAbort(signal, () => giveUp(abortReason(signal as AbortSignal)));
    promise.then(
      (value) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        removeAbort();
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        removeAbort();
        onError?.(error);
        reject(error);
      },
    );
  });
}
