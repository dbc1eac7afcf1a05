/** Timestamps (performance.now() ms) and token count of one streamed generation. */
export interface StreamSample {
  startedAt: number;
  /** First non-empty text chunk; undefined when none came. */
  firstTokenAt: number | undefined;
  lastTokenAt: number | undefined;
  endedAt: number;
  /** Completion tokens as the engine counted them. */
  tokens: number;
  text: string;
  /** From the usage chunk, when the path reports one. */
  promptTokens?: number;
  /** Prompt tokens the engine did not evaluate (`prompt_tokens_details.cached_tokens`). */
  cachedTokens?: number;
}

export function ttftMs(sample: StreamSample): number {
  return sample.firstTokenAt === undefined ? Number.NaN : sample.firstTokenAt - sample.startedAt;
}

/** Tokens per second after the first one: the steady decode rate, prompt processing excluded. */
export function decodeRate(sample: StreamSample): number {
  if (sample.firstTokenAt === undefined || sample.lastTokenAt === undefined || sample.tokens < 2) {
    return Number.NaN;
  }
  const seconds = (sample.lastTokenAt - sample.firstTokenAt) / 1000;
  return seconds > 0 ? (sample.tokens - 1) / seconds : Number.NaN;
}

/** All tokens of concurrent streams over the wall time from the first start to the last end. */
export function aggregateRate(samples: readonly StreamSample[]): number {
  if (samples.length === 0) return Number.NaN;
  const start = Math.min(...samples.map((sample) => sample.startedAt));
  const end = Math.max(...samples.map((sample) => sample.endedAt));
  const tokens = samples.reduce((sum, sample) => sum + sample.tokens, 0);
  return end > start ? tokens / ((end - start) / 1000) : Number.NaN;
}
