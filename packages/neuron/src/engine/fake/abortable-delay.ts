/** Resolves after `ms`, or rejects with the signal's own reason (not a generic AbortError) on abort. */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason as unknown);
  // No timer for no delay: a fake that "answers at once" must not pay a macrotask per token.
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as unknown);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** A stalled generation: never settles until the signal aborts. */
export function untilAborted(signal: AbortSignal): Promise<never> {
  if (signal.aborted) return Promise.reject(signal.reason as unknown);
  return new Promise((_, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason as unknown), { once: true });
  });
}
