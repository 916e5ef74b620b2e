import { abortReason, noop, onAbort } from "./abort.ts";

/**
 * Resolves after `ms`, or rejects with the signal's reason as soon as it
 * aborts; either way the timer and the listener are removed. The timer keeps
 * the process alive: someone is waiting for it.
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    let removeListener: () => void = noop;
    const timer = setTimeout(() => {
      removeListener();
      resolve();
    }, ms);
    removeListener = onAbort(signal, () => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    });
  });
}
