import {
  CortexError,
  prefixFingerprints,
  type CanonicalChatRequest,
  type ContentDelta,
  type FinishReason,
  type ToolCall,
} from "@cortex/core";
import type {
  ChatResult,
  CompletionRequest,
  EngineModel,
  GenerateOptions,
  ModelCacheReport,
} from "../engine.js";
import { SequencePool } from "../sequence-pool.js";
import { abortableDelay, untilAborted } from "./abortable-delay.js";
import type { FakeModelKnobs } from "./fake-model-knobs.js";
import { FakePrefixCache, type FakeSequence } from "./fake-prefix-cache.js";
import { fakeEmbedding, fakeTokenIds, fakeWords, messagesText } from "./fake-tokens.js";
import { StopSequenceFilter } from "./stop-sequence-filter.js";

export interface FakeModelOptions {
  contextSize: number;
  sequences: number;
  queueLimit: number;
  onDispose: (model: FakeModel, busySequences: number) => void;
  /** The knobs in force for the next generation; default: the model file's own. */
  knobs?: () => GenerationKnobs;
  events?: FakeModelEvents;
}

/** What a generation reads, once, when it starts. */
export interface GenerationKnobs {
  tokenDelayMs: number;
  stallAfterTokens: number | null;
  /** The reply, one token per word; null: "tok0 tok1 …" until max tokens. */
  text: string | null;
  dropAfterTokens: number | null;
  status503: boolean;
  firstByteDelayMs: number;
}

/** What the engine counts, and the one thing it cannot do itself (drop the connection). */
export interface FakeModelEvents {
  request(): void;
  aborted(): void;
  drop(): void;
  changed(): void;
}

const NO_EVENTS: FakeModelEvents = { request() {}, aborted() {}, drop() {}, changed() {} };
/** Short, so a gateway that honours Retry-After does not slow tests down. */
const RETRY_AFTER_SECONDS = 1;

/** What the real engine gives max_tokens when a request does not say; small so fake tests stay fast. */
const DEFAULT_MAX_TOKENS = 16;
/** What a forced thought says, one token per word, before the reply (the real engine's `<think>` hook). */
const FAKE_THOUGHT = "Let me think this through.";
/** The forced call's arguments, streamed in two deltas like a grammar-driven call. */
const TOOL_ARGUMENT_DELTAS = ['{"arg":', '"x"}'];

/**
 * A loaded fake model: deterministic output, real sequence pool (so concurrency and queue_full behave
 * like node-llama-cpp), and the timing/stall knobs of its model file.
 */
export class FakeModel implements EngineModel {
  readonly knobs: FakeModelKnobs;
  readonly contextSize: number;
  readonly #pool: SequencePool<FakeSequence>;
  readonly #sequences: number;
  readonly #disposal = new AbortController();
  readonly #onDispose: FakeModelOptions["onDispose"];
  readonly #cache: FakePrefixCache;
  readonly #knobs: () => GenerationKnobs;
  readonly #events: FakeModelEvents;
  #callIds = 0;

  constructor(knobs: FakeModelKnobs, options: FakeModelOptions) {
    this.knobs = knobs;
    this.contextSize = options.contextSize;
    this.#sequences = options.sequences;
    const sequences = Array.from({ length: options.sequences }, (): FakeSequence => ({
      tokens: [],
      meta: null,
    }));
    this.#pool = new SequencePool(sequences, (sequence) => sequence.tokens, options.queueLimit);
    this.#onDispose = options.onDispose;
    this.#cache = new FakePrefixCache({
      entries: knobs.kvTierEntries,
      prefillMsPerToken: knobs.prefillMsPerToken,
      restoreMsPerToken: knobs.restoreMsPerToken,
    });
    this.#knobs =
      options.knobs ??
      (() => ({
        tokenDelayMs: knobs.tokenDelayMs,
        stallAfterTokens: knobs.stallAfterTokens,
        text: knobs.text,
        dropAfterTokens: null,
        status503: false,
        firstByteDelayMs: 0,
      }));
    this.#events = options.events ?? NO_EVENTS;
  }

  cacheReport(): ModelCacheReport {
    return this.#cache.report();
  }

  get memoryUsage(): number {
    return this.knobs.memory;
  }

  get queued(): number {
    return this.#pool.queued;
  }

  /** Sequences generating right now. */
  get busy(): number {
    return this.#sequences - this.#pool.free;
  }

  get disposed(): boolean {
    return this.#disposal.signal.aborted;
  }

  tokenize(text: string): number[] {
    return fakeTokenIds(text);
  }

  tokenizeChat(request: Pick<CanonicalChatRequest, "messages" | "tools">): number[] {
    if (this.#knobs().status503) throw noCapacity();
    return this.#promptTokens(request);
  }

  #promptTokens(request: Pick<CanonicalChatRequest, "messages" | "tools">): number[] {
    return fakeTokenIds(messagesText(request.messages));
  }

  async chat(request: CanonicalChatRequest, options: GenerateOptions): Promise<ChatResult> {
    const tool = this.#forcedTool(request, options.forceToolCall);
    const chain = prefixFingerprints(request);
    // Like the real engine: a forced call wins over a forced thought.
    const reply: Reply =
      tool === undefined
        ? { type: "text", thought: options.forceThought === true }
        : { type: "tool", name: tool };
    return this.#generate(
      () => this.#promptTokens(request),
      request.maxTokens,
      request.stop,
      reply,
      options,
      chain,
    );
  }

  async complete(request: CompletionRequest, options: GenerateOptions): Promise<ChatResult> {
    return this.#generate(
      () => this.tokenize(request.prompt),
      request.maxTokens,
      request.stop,
      { type: "text", thought: false },
      options,
    );
  }

  async embed(inputs: string[], signal: AbortSignal): Promise<{ vectors: number[][]; promptTokens: number }> {
    this.#assertUsable();
    let promptTokens = 0;
    const vectors: number[][] = [];
    for (const input of inputs) {
      signal.throwIfAborted();
      const tokens = fakeWords(input).length;
      if (tokens > this.contextSize) {
        throw new CortexError(
          "context_length_exceeded",
          `input is too long: ${tokens} tokens > ${this.contextSize} maximum`,
          { param: "input" },
        );
      }
      promptTokens += tokens;
      vectors.push(fakeEmbedding(input));
    }
    return { vectors, promptTokens };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    const busy = this.busy;
    // A real context disposed mid-generation can hang or crash (docs/node-llama-cpp.md §7.6); here it only fails loudly.
    this.#disposal.abort(
      Object.assign(new Error("fake model disposed during generation"), { name: "DisposedError" }),
    );
    this.#onDispose(this, busy);
  }

  async #generate(
    tokenize: () => number[],
    maxTokens: number | undefined,
    stop: readonly string[],
    reply: Reply,
    options: GenerateOptions,
    chain: readonly string[] = [],
  ): Promise<ChatResult> {
    this.#assertUsable();
    this.#events.request();
    // Read once: a test that flips a knob mid-generation gets the generation it started.
    const knobs = this.#knobs();
    if (knobs.status503) throw noCapacity();
    const prompt = tokenize();
    if (prompt.length > this.contextSize) {
      throw new CortexError(
        "context_length_exceeded",
        `prompt is too long: ${prompt.length} tokens > ${this.contextSize} maximum`,
        { param: "messages" },
      );
    }
    const signal = AbortSignal.any([options.signal, this.#disposal.signal]);
    const progress = { knobs, dropped: false };
    try {
      return await this.#generateOnSequence(prompt, chain, maxTokens, stop, reply, options, signal, progress);
    } catch (error) {
      // The caller went away or a forced unload aborted it (not a connection the knobs dropped).
      if (options.signal.aborted && !progress.dropped) this.#events.aborted();
      throw error;
    }
  }

  async #generateOnSequence(
    prompt: number[],
    chain: readonly string[],
    maxTokens: number | undefined,
    stop: readonly string[],
    reply: Reply,
    options: GenerateOptions,
    signal: AbortSignal,
    progress: Progress,
  ): Promise<ChatResult> {
    let lease = await this.#pool.acquire(prompt, signal, {
      cachedTokens: () => this.#cache.tierShared(prompt),
    });
    /** Until the prompt is evaluated: the lease held and what its sequence surely holds of the prompt. */
    let evaluating: { lease: typeof lease; held: number } | null = null;
    try {
      const reused = await this.#cache.prepare(lease.sequence, lease.reusedTokens, prompt, chain, signal);
      evaluating = { lease, held: reused };
      const promptUsage = { promptTokens: prompt.length, completionTokens: 0, cachedPromptTokens: reused };
      await abortableDelay(progress.knobs.firstByteDelayMs, signal);
      // Dropped before any byte: the client sees a connection reset before a status line.
      await this.#maybeDrop(0, signal, progress);
      options.onStarted?.(promptUsage);
      // Like the real engine: a long evaluation yields its sequence to a short waiter and resumes from
      // the state the tier keeps of it (SequencePool.shouldYield).
      let evaluatedPromptTokens = 0;
      let from = reused;
      for (;;) {
        const holder = lease;
        // Decided and done at once, so two evaluations in one batch do not both yield to one waiter.
        const left = await this.#cache.prefill(prompt.length - from, signal, (remaining) => {
          if (!this.#cache.tiered || !this.#pool.shouldYield(holder, remaining)) return false;
          this.#cache.partial(holder.sequence, prompt, prompt.length - remaining);
          evaluating = null;
          holder.release();
          return true;
        });
        evaluatedPromptTokens += prompt.length - from - left;
        if (left === 0) break;
        lease = await this.#pool.acquire(prompt, signal, {
          cachedTokens: () => prompt.length - left,
          resuming: holder,
        });
        evaluating = { lease, held: 0 };
        from = await this.#cache.prepare(lease.sequence, lease.reusedTokens, prompt, chain, signal);
        evaluating.held = from;
      }
      evaluating = null;
      const limit = Math.min(maxTokens ?? DEFAULT_MAX_TOKENS, this.contextSize - prompt.length);
      const output =
        reply.type === "text"
          ? await this.#text(limit, stop, reply.thought, signal, options.onEvent, progress)
          : await this.#toolCall(reply.name, signal, options.onEvent, progress);
      lease.sequence.tokens = [...prompt, ...fakeTokenIds(output.text)];
      return {
        text: output.text,
        ...(output.reasoning === undefined ? {} : { reasoning: output.reasoning }),
        toolCalls: output.toolCalls,
        finishReason: output.finishReason,
        ...(output.stopSequence === undefined ? {} : { stopSequence: output.stopSequence }),
        usage: { ...promptUsage, completionTokens: output.tokens },
        evaluatedPromptTokens,
      };
    } finally {
      // Cut short during its prompt (the client left): the sequence holds part of it, no conversation.
      if (evaluating !== null) this.#cache.partial(evaluating.lease.sequence, prompt, evaluating.held);
      lease.release();
    }
  }

  async #text(
    limit: number,
    stop: readonly string[],
    thought: boolean,
    signal: AbortSignal,
    onEvent: (event: ContentDelta) => void,
    progress: Progress,
  ): Promise<Output> {
    let tokens = 0;
    // The thought comes first and counts against max tokens, as a real model's reasoning does.
    let reasoning: string | undefined;
    for (const word of thought ? fakeWords(FAKE_THOUGHT) : []) {
      if (tokens >= limit) break;
      await this.#nextToken(tokens, signal, progress);
      const delta = tokens === 0 ? word : ` ${word}`;
      tokens++;
      reasoning = (reasoning ?? "") + delta;
      onEvent({ type: "reasoning-delta", text: delta });
    }
    const withReasoning = reasoning === undefined ? {} : { reasoning };
    const { text } = progress.knobs;
    const words = text === null ? null : fakeWords(text);
    const filter = new StopSequenceFilter(stop, (text) => onEvent({ type: "text-delta", text }));
    let said = 0;
    while (tokens < limit) {
      const word = words ? words[said] : `tok${said}`;
      if (word === undefined) break;
      await this.#nextToken(tokens, signal, progress);
      tokens++;
      const stopSequence = filter.push(said++ === 0 ? word : ` ${word}`);
      if (stopSequence !== undefined) {
        return {
          text: filter.text,
          ...withReasoning,
          toolCalls: [],
          tokens,
          ...finish("stop_sequence", "customStopTrigger"),
          stopSequence,
        };
      }
    }
    filter.flush();
    const exhausted = words !== null && said >= words.length;
    return {
      text: filter.text,
      ...withReasoning,
      toolCalls: [],
      tokens,
      ...(exhausted ? finish("stop", "eogToken") : finish("length", "maxTokens")),
    };
  }

  async #toolCall(
    name: string,
    signal: AbortSignal,
    onEvent: (event: ContentDelta) => void,
    progress: Progress,
  ): Promise<Output> {
    const call: ToolCall = { id: `call_fake_${this.#callIds++}`, name, arguments: "" };
    await this.#nextToken(0, signal, progress);
    onEvent({ type: "tool-call-start", index: 0, id: call.id, name });
    let tokens = 1;
    for (const argumentsDelta of TOOL_ARGUMENT_DELTAS) {
      await this.#nextToken(tokens, signal, progress);
      tokens++;
      call.arguments += argumentsDelta;
      onEvent({ type: "tool-call-delta", index: 0, argumentsDelta });
    }
    return { text: "", toolCalls: [call], tokens, ...finish("tool_calls", "functionCalls") };
  }

  /** Waits out the token delay, or forever once the stall point is reached; both end on abort. */
  async #nextToken(generated: number, signal: AbortSignal, progress: Progress): Promise<void> {
    signal.throwIfAborted();
    const { stallAfterTokens, tokenDelayMs } = progress.knobs;
    if (generated > 0) await this.#maybeDrop(generated, signal, progress);
    if (stallAfterTokens !== null && generated >= stallAfterTokens) await untilAborted(signal);
    if (tokenDelayMs > 0) await abortableDelay(tokenDelayMs, signal);
  }

  /** At the `dropAfterTokens` point: drop the connection, then end with the abort that follows. */
  async #maybeDrop(generated: number, signal: AbortSignal, progress: Progress): Promise<void> {
    if (progress.knobs.dropAfterTokens !== generated) return;
    progress.dropped = true;
    this.#events.drop();
    await untilAborted(signal);
  }

  #forcedTool(request: CanonicalChatRequest, forceToolCall: string | undefined): string | undefined {
    if (request.tools.length === 0 || request.toolChoice.type === "none") return undefined;
    const wanted =
      forceToolCall ??
      (request.toolChoice.type === "required"
        ? "*"
        : request.toolChoice.type === "tool"
          ? request.toolChoice.name
          : undefined);
    if (wanted === undefined) return undefined;
    const tool = wanted === "*" ? request.tools[0] : request.tools.find((t) => t.name === wanted);
    if (!tool) {
      throw new CortexError("invalid_request", `tool ${wanted} is not among the request's tools`, {
        param: "tool_choice",
      });
    }
    return tool.name;
  }

  #assertUsable(): void {
    if (this.disposed) throw new Error("fake model used after dispose");
  }
}

interface Progress {
  readonly knobs: GenerationKnobs;
  /** The connection was dropped on purpose: the abort that follows is not the caller's. */
  dropped: boolean;
}

function noCapacity(): CortexError {
  return new CortexError("no_capacity", "the fake model has no capacity (status503 knob)", {
    retryAfter: RETRY_AFTER_SECONDS,
  });
}

/** What a generation produces: plain text (after a forced thought, or not) or a forced tool call. */
type Reply = { type: "text"; thought: boolean } | { type: "tool"; name: string };

interface Output {
  text: string;
  reasoning?: string;
  toolCalls: ToolCall[];
  tokens: number;
  finishReason: FinishReason;
  stopSequence?: string;
}

function finish(unified: FinishReason["unified"], raw: string): { finishReason: FinishReason } {
  return { finishReason: { unified, raw } };
}
