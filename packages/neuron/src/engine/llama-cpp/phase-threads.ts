import type { LlamaContext } from "node-llama-cpp";

/** The methods of node-llama-cpp's native context (`LlamaContext._ctx`, internal) this file wraps. */
interface NativeContext {
  initBatch(size: number): unknown;
  setThreads(threads: number): unknown;
  getThreads(): number;
}

export interface PhaseThreadCounts {
  /** Threads for batches of single-token decodes (one token per generating sequence). */
  decode: number;
  /** Threads for batches that evaluate prompt tokens; the context is created with this many. */
  batch: number;
}

/** What ran, for tests and diagnostics: batches per phase, and the thread count the native side last reported. */
export interface PhaseThreadStats {
  promptBatches: number;
  decodeBatches: number;
  /** `llama_n_threads` read back after the last prompt / decode batch's setThreads. */
  lastPromptThreads: number | null;
  lastDecodeThreads: number | null;
}

/**
 * Prompt evaluation at `batch` threads, single-token decode at `decode` threads, on one context.
 *
 * llama.cpp has both (`n_threads_batch` for batches of more than one token, `n_threads` for one), but
 * node-llama-cpp 3.21.1 only exposes one `threads` option and its native `setThreads` sets both to the
 * same value. Its batch loop, though, calls `_ctx.initBatch(tokens)` and then `_ctx.setThreads(n)` (n =
 * what its ThreadsSplitter grants the context, at most the context's `threads`) before every
 * `decodeBatch`. Wrapping those two calls lets each batch run at the count of its phase: a batch holding
 * more tokens than there are sequences carries prompt tokens (a decode-only batch has at most one token
 * per sequence) and keeps the granted count; any other batch runs at min(granted, decode).
 *
 * `_ctx` is internal: node-llama-cpp is pinned to exactly 3.21.1, the wrapper throws at model load if
 * the methods are missing, and phase-threads.test.ts checks on a real model that prompt and decode
 * batches ran at their counts as read back from llama.cpp.
 */
export class PhaseThreads {
  readonly #stats: PhaseThreadStats = {
    promptBatches: 0,
    decodeBatches: 0,
    lastPromptThreads: null,
    lastDecodeThreads: null,
  };

  constructor(context: LlamaContext, counts: PhaseThreadCounts, sequences: number) {
    const native = (context as unknown as { _ctx?: Partial<NativeContext> })._ctx;
    if (
      native === undefined ||
      typeof native.initBatch !== "function" ||
      typeof native.setThreads !== "function" ||
      typeof native.getThreads !== "function"
    ) {
      throw new Error(
        "node-llama-cpp has no LlamaContext._ctx.initBatch/setThreads/getThreads: PhaseThreads needs 3.21.1",
      );
    }
    const nativeContext = native as NativeContext;
    const initBatch = nativeContext.initBatch.bind(nativeContext);
    const setThreads = nativeContext.setThreads.bind(nativeContext);
    let batchTokens = 0;
    // Native methods live on the addon's prototype as read-only properties: shadow them on the instance.
    Object.defineProperty(nativeContext, "initBatch", {
      configurable: true,
      value: (size: number): unknown => {
        batchTokens = size;
        return initBatch(size);
      },
    });
    Object.defineProperty(nativeContext, "setThreads", {
      configurable: true,
      value: (granted: number): unknown => {
        const prompt = batchTokens > sequences;
        // The splitter grants at least one thread when it has a limit, which the engine always sets.
        const allowed = granted > 0 ? granted : counts.batch;
        const threads = prompt ? allowed : Math.min(allowed, counts.decode);
        const result = setThreads(threads);
        const actual = nativeContext.getThreads();
        if (prompt) {
          this.#stats.promptBatches++;
          this.#stats.lastPromptThreads = actual;
        } else {
          this.#stats.decodeBatches++;
          this.#stats.lastDecodeThreads = actual;
        }
        return result;
      },
    });
  }

  get stats(): Readonly<PhaseThreadStats> {
    return { ...this.#stats };
  }
}
