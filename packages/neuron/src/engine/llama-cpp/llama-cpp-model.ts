import {
  newId,
  prefixFingerprints,
  CortexError,
  type CanonicalChatRequest,
  type FinishReason,
  type ToolCall,
  type Usage,
} from "@cortex/core";
import {
  LlamaChat,
  LlamaVocabularyType,
  LlamaCompletion,
  type ChatHistoryItem,
  type ChatModelFunctions,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaEmbeddingContext,
  type LlamaChatResponseChunk,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import type { ModelStates } from "../../kv-cache/kv-tier.js";
import type {
  ChatResult,
  CompletionRequest,
  EngineModel,
  GenerateOptions,
  ModelCacheReport,
} from "../engine.js";
import { SequencePool, type SequenceLease } from "../sequence-pool.js";
import { DecodeGate } from "./decode-gate.js";
import { GrammarCache } from "./grammar-cache.js";
import { PhaseThreads, type PhaseThreadCounts, type PhaseThreadStats } from "./phase-threads.js";
import { PrefixForcing } from "./prefix-forcing.js";
import {
  PrefixReuse,
  type PreparedSequence,
  type PromptIdentity,
  type RestorePolicy,
} from "./prefix-reuse.js";
import { toChatHistory } from "./to-chat-history.js";
import { toGbnfSchema } from "./to-gbnf-schema.js";
import { ToolCallStreamer } from "./tool-call-streamer.js";

export interface LlamaCppModelParts {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  wrapper: ChatWrapper;
  queueLimit: number;
  threads: PhaseThreadCounts;
  sequences: number;
  /** This model's share of the node's KV state tier; undefined when the tier is off or cannot serve it. */
  states?: ModelStates;
  restorePolicy?: RestorePolicy;
  log?: (level: "debug", message: string) => void;
}

export class LlamaCppModel implements EngineModel {
  readonly #model: LlamaModel;
  readonly #context: LlamaContext;
  readonly #wrapper: ChatWrapper;
  readonly #pool: SequencePool<LlamaContextSequence>;
  readonly #grammars: GrammarCache;
  readonly #gate: DecodeGate;
  readonly #threads: PhaseThreadCounts;
  readonly #phaseThreads: PhaseThreads;
  readonly #reuse: PrefixReuse;
  #embedding: Promise<LlamaEmbeddingContext> | undefined;

  constructor(parts: LlamaCppModelParts) {
    this.#model = parts.model;
    this.#context = parts.context;
    this.#wrapper = parts.wrapper;
    this.#threads = parts.threads;
    const sequences: LlamaContextSequence[] = [];
    while (this.#context.sequencesLeft > 0) sequences.push(this.#context.getSequence());
    this.#pool = new SequencePool(sequences, (sequence) => sequence.contextTokens, parts.queueLimit);
    this.#grammars = new GrammarCache(parts.llama);
    this.#gate = new DecodeGate(this.#context);
    this.#phaseThreads = new PhaseThreads(this.#context, parts.threads, parts.sequences);
    // Models that cannot reuse a prefix by erasing a tail (recurrent, hybrid, sliding-window attention
    // without a full cache) need node-llama-cpp's checkpoints, which a restored state does not carry.
    const restorable = !sequences.some((sequence) => sequence.needsCheckpoints);
    if (!restorable) parts.states?.drop();
    this.#reuse = new PrefixReuse(this.#gate, restorable ? parts.states : undefined, {
      ...(parts.restorePolicy ? { policy: parts.restorePolicy } : {}),
      ...(parts.log ? { debug: (message: string) => parts.log?.("debug", message) } : {}),
    });
  }

  cacheReport(): ModelCacheReport {
    return this.#reuse.report();
  }

  /** Batches per phase and the thread counts llama.cpp last reported (tests, diagnostics). */
  get phaseThreads(): Readonly<PhaseThreadStats> {
    return this.#phaseThreads.stats;
  }

  get contextSize(): number {
    return this.#context.contextSize;
  }

  get memoryUsage(): number {
    return this.#model.size + this.#context.stateSize;
  }

  get queued(): number {
    return this.#pool.queued;
  }

  tokenize(text: string): number[] {
    // Exactly what /v1/completions feeds the model: special-token text stays text, BOS as it adds it.
    return this.#completionTokens(text);
  }

  tokenizeChat(request: Pick<CanonicalChatRequest, "messages" | "tools">): number[] {
    const functions = toFunctions(request.tools, false);
    return this.#renderPrompt(toChatHistory(request.messages), functions);
  }

  async chat(request: CanonicalChatRequest, options: GenerateOptions): Promise<ChatResult> {
    const history = toChatHistory(request.messages);
    const forcedTool = options.forceToolCall ?? forcedToolFor(request);
    const useTools = request.tools.length > 0 && request.toolChoice.type !== "none";
    const functions = useTools ? toFunctions(request.tools, options.forceToolCall !== undefined) : undefined;
    const grammar = functions ? undefined : await this.#grammars.forResponseFormat(request.responseFormat);
    const prompt = this.#renderPrompt(history, functions);
    const maxTokens = this.#maxTokensFor(prompt.length, request.maxTokens);
    const forcing =
      functions && forcedTool
        ? PrefixForcing.toolCall(this.#model, this.#wrapper, forcedTool)
        : options.forceThought === true && grammar === undefined
          ? PrefixForcing.thought(this.#model, this.#wrapper)
          : null;

    const chain = prefixFingerprints(request);
    const identity = { chain, promptTokens: prompt.length };
    const first = await this.#acquire(prompt, options.signal, identity);
    options.onStarted?.(promptUsage(prompt, first));
    const generationStarted = performance.now();
    const evaluation = await this.#evaluatePrompt(first, prompt, options.signal, identity);
    const lease = evaluation.lease;
    const chat = new LlamaChat({
      contextSequence: lease.sequence,
      chatWrapper: this.#wrapper,
      autoDisposeSequence: false,
    });
    const evaluatedBefore = lease.sequence.tokenMeter.usedInputTokens;
    const generatedBefore = lease.sequence.tokenMeter.usedOutputTokens;
    const streamer = new ToolCallStreamer(options.onEvent, () => newId("call_"));
    let completionTokens = 0;
    // LlamaChat's `response` is the text alone; thoughts exist only as chunks (and in `fullResponse`).
    // Collected from the same chunks the stream sends, so both answers carry the same reasoning.
    let reasoning = "";
    try {
      const common = {
        ...generationOptions(request, options.signal, maxTokens),
        ...(forcing ? { tokenBias: forcing.tokenBias } : {}),
        onToken: (tokens: Token[]) => {
          // A yielded evaluation's time includes its wait for a sequence: not a prefill speed.
          if (completionTokens === 0 && !evaluation.yielded) {
            this.#reuse.observePrefill(
              evaluation.evaluated + lease.sequence.tokenMeter.usedInputTokens - evaluatedBefore,
              performance.now() - generationStarted,
            );
          }
          completionTokens += tokens.length;
        },
        onResponseChunk: (chunk: LlamaChatResponseChunk) => {
          if (chunk.text === "") return;
          if (chunk.type === undefined) options.onEvent({ type: "text-delta", text: chunk.text });
          else if (chunk.segmentType === "thought") {
            reasoning += chunk.text;
            options.onEvent({ type: "reasoning-delta", text: chunk.text });
          }
        },
      };
      // functions and grammar exclude each other in node-llama-cpp's types (and in its behaviour).
      const result = functions
        ? await chat.generateResponse(history, {
            ...common,
            functions,
            maxParallelFunctionCalls: request.parallelToolCalls ? 4 : 1,
            onFunctionCallParamsChunk: (chunk) => streamer.push(chunk),
          })
        : await chat.generateResponse(history, { ...common, ...(grammar ? { grammar } : {}) });
      const stopped = notAborted(result.metadata, options.signal);
      const toolCalls = streamer.finish(result.functionCalls ?? []);
      const stop = mapStop(stopped, toolCalls);
      return {
        text: grammar ? result.response.trimEnd() : result.response,
        ...(reasoning === "" ? {} : { reasoning }),
        toolCalls,
        ...stop,
        usage: {
          ...promptUsage(prompt, first),
          // onToken is silent while LlamaChat generates a function call; the meter is not.
          completionTokens: Math.max(
            completionTokens,
            lease.sequence.tokenMeter.usedOutputTokens - generatedBefore,
          ),
        },
        evaluatedPromptTokens: evaluation.evaluated + evaluatedSince(lease.sequence, evaluatedBefore),
      };
    } finally {
      chat.dispose({ disposeSequence: false });
      lease.release();
      // After the response: the first request of a head does not wait for its count.
      setImmediate(() => this.#learnHead(request, chain[0]));
    }
  }

  async complete(request: CompletionRequest, options: GenerateOptions): Promise<ChatResult> {
    const prompt = this.#completionTokens(request.prompt);
    const maxTokens = this.#maxTokensFor(prompt.length, request.maxTokens);
    const lease = await this.#acquire(prompt, options.signal, null);
    const completion = new LlamaCompletion({ contextSequence: lease.sequence, autoDisposeSequence: false });
    const evaluatedBefore = lease.sequence.tokenMeter.usedInputTokens;
    options.onStarted?.(promptUsage(prompt, lease));
    let completionTokens = 0;
    try {
      const result = await completion.generateCompletionWithMeta(request.prompt, {
        ...generationOptions(request, options.signal, maxTokens),
        onToken: (tokens) => {
          completionTokens += tokens.length;
        },
        onTextChunk: (text) => {
          if (text !== "") options.onEvent({ type: "text-delta", text });
        },
      });
      const stopped = notAborted(result.metadata, options.signal);
      return {
        text: result.response,
        toolCalls: [],
        ...mapStop(stopped, []),
        usage: { ...promptUsage(prompt, lease), completionTokens },
        evaluatedPromptTokens: evaluatedSince(lease.sequence, evaluatedBefore),
      };
    } finally {
      completion.dispose({ disposeSequence: false });
      lease.release();
    }
  }

  async embed(inputs: string[], signal: AbortSignal): Promise<{ vectors: number[][]; promptTokens: number }> {
    this.#embedding ??= this.#model.createEmbeddingContext({
      contextSize: this.#context.contextSize,
      // Embedding is all prompt evaluation.
      threads: this.#threads.batch,
    });
    const context = await this.#embedding;
    const vectors: number[][] = [];
    let promptTokens = 0;
    for (const input of inputs) {
      signal.throwIfAborted();
      const tokens = this.#model.tokenize(input);
      if (tokens.length > this.#context.contextSize) {
        throw new CortexError(
          "context_length_exceeded",
          `input is too long: ${tokens.length} tokens > ${this.#context.contextSize} maximum`,
          { param: "input" },
        );
      }
      promptTokens += tokens.length;
      const embedding = await context.getEmbeddingFor(tokens);
      vectors.push([...embedding.vector]);
    }
    return { vectors, promptTokens };
  }

  async dispose(): Promise<void> {
    this.#reuse.drop();
    if (this.#embedding) await (await this.#embedding).dispose();
    await this.#context.dispose();
    await this.#model.dispose();
  }

  /**
   * A pooled sequence ready for `prompt`: holding its longest prefix (from the pool or restored from the
   * KV tier), with the rest dropped (PrefixReuse); `reusedTokens` is what the prompt does not evaluate.
   */
  async #acquire(
    prompt: readonly number[],
    signal: AbortSignal,
    identity: PromptIdentity | null,
    resuming?: SequenceLease<LlamaContextSequence>,
  ): Promise<SequenceLease<LlamaContextSequence> & PreparedSequence> {
    const lease = await this.#pool.acquire(prompt, signal, {
      cachedTokens: () => this.#reuse.tierShared(prompt),
      ...(resuming ? { resuming } : {}),
    });
    try {
      return { ...lease, ...(await this.#reuse.prepare(lease, prompt, identity)) };
    } catch (error) {
      lease.release();
      throw error;
    }
  }

  /**
   * Evaluates a long prompt batch by batch before LlamaChat takes over (it finds the prompt held and
   * evaluates the last token), so that between batches the evaluation can give its sequence to a short
   * waiter (SequencePool.shouldYield: a returning agent turn) and queue again; the next holder's
   * `prepare` saves what it evaluated to the KV tier and the resumed evaluation restores it. Only with
   * the tier (without it a yield would throw the work away); a remainder of one batch or less is left to
   * LlamaChat. Separate batch-sized decodes also let other sequences' erases and restores take the context
   * lock between them (DecodeGate). Releases whatever it holds when it throws, marked as holding no
   * conversation.
   */
  async #evaluatePrompt(
    first: SequenceLease<LlamaContextSequence>,
    prompt: readonly number[],
    signal: AbortSignal,
    identity: PromptIdentity,
  ): Promise<{ lease: SequenceLease<LlamaContextSequence>; evaluated: number; yielded: boolean }> {
    const limit = prompt.length - 1;
    const batch = this.#context.batchSize;
    let lease = first;
    /** The lease held: none while it waits to resume (the sequence it gave up is another's). */
    let holding: SequenceLease<LlamaContextSequence> | null = first;
    let evaluated = 0;
    let yielded = false;
    if (!this.#reuse.tiered) return { lease, evaluated, yielded };
    try {
      for (;;) {
        const sequence = lease.sequence;
        const before = sequence.tokenMeter.usedInputTokens;
        let at = sequence.nextTokenIndex;
        while (limit - at > batch && !this.#pool.shouldYield(lease, limit - at)) {
          await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(at, at + batch) as Token[]);
          signal.throwIfAborted();
          at += batch;
        }
        evaluated += sequence.tokenMeter.usedInputTokens - before;
        if (limit - at <= batch) return { lease, evaluated, yielded };
        yielded = true;
        this.#reuse.partial(sequence);
        holding = null;
        lease.release();
        lease = await this.#acquire(prompt, signal, identity, lease);
        holding = lease;
      }
    } catch (error) {
      if (holding !== null) {
        // Cut short (the client left): the sequence holds part of the prompt, not the conversation.
        this.#reuse.partial(holding.sequence);
        holding.release();
      }
      throw error;
    }
  }

  /**
   * Tokens of a head (tools + leading system message) for the prefix report, counted once per head after
   * the request it came with is done.
   */
  #learnHead(request: CanonicalChatRequest, head: string | undefined): void {
    if (head === undefined || this.#reuse.knowsHead(head)) return;
    const [first] = request.messages;
    const messages = first?.role === "system" ? [first] : [];
    try {
      this.#reuse.noteHead(head, this.tokenizeChat({ messages, tools: request.tools }).length);
    } catch {
      // A template that cannot render a head alone: the head is simply not reported.
    }
  }

  /**
   * The tokens LlamaCompletion puts in the sequence for `prompt` (its `resolveBeginningTokenToPrepend`
   * and `tokenizeInput`), so the pool compares like with like and the prefix of an earlier completion is
   * reused.
   */
  #completionTokens(prompt: string): Token[] {
    const model = this.#model;
    const type = model.vocabularyType;
    const bos =
      type === LlamaVocabularyType.rwkv || type === LlamaVocabularyType.ugm
        ? null
        : type === LlamaVocabularyType.wpm || model.tokens.shouldPrependBosToken
          ? model.tokens.bos
          : null;
    if (bos === null) return model.tokenize(prompt, false);
    return [bos, ...model.tokenize(prompt, false, "trimLeadingSpace")];
  }

  #renderPrompt(history: ChatHistoryItem[], functions: ChatModelFunctions | undefined): number[] {
    const state = this.#wrapper.generateContextState({
      chatHistory: [...history, { type: "model", response: [] }],
      ...(functions ? { availableFunctions: functions, documentFunctionParams: true } : {}),
    });
    return state.contextText.tokenize(this.#model.tokenizer);
  }

  #maxTokensFor(promptTokens: number, requested: number | undefined): number {
    const limit = this.#context.contextSize;
    // node-llama-cpp would silently drop history to make room; say so instead (docs/node-llama-cpp.md §7.7).
    if (promptTokens >= limit) {
      throw new CortexError(
        "context_length_exceeded",
        `prompt is too long: ${promptTokens} tokens > ${limit} maximum`,
        {
          param: "messages",
        },
      );
    }
    return Math.min(requested ?? Number.POSITIVE_INFINITY, limit - promptTokens);
  }
}

/** The prompt's side of usage, known once its sequence is leased; the same at the start and the end. */
function promptUsage(prompt: readonly number[], lease: SequenceLease<LlamaContextSequence>): Usage {
  return { promptTokens: prompt.length, completionTokens: 0, cachedPromptTokens: lease.reusedTokens };
}

/**
 * Prompt tokens a generation evaluated. node-llama-cpp's meter counts every token decoded with logits as
 * output, and the prompt's last token is decoded with logits (the first answer token is sampled from
 * them): it is a prompt token evaluated all the same, one per generation.
 */
function evaluatedSince(sequence: LlamaContextSequence, inputBefore: number): number {
  return sequence.tokenMeter.usedInputTokens - inputBefore + 1;
}

/** What chat and completion generation share: sampling, stop sequences, length, abort. */
function generationOptions(
  request: Pick<CompletionRequest, "temperature" | "topP" | "topK" | "seed" | "stop">,
  signal: AbortSignal,
  maxTokens: number,
) {
  return {
    signal,
    stopOnAbortSignal: true,
    maxTokens,
    // Greedy and reproducible unless the client asks otherwise.
    temperature: request.temperature ?? 0,
    ...(request.topP === undefined ? {} : { topP: request.topP }),
    ...(request.topK === undefined ? {} : { topK: request.topK }),
    seed: request.seed ?? 0,
    customStopTriggers: request.stop,
  };
}

function toFunctions(
  tools: CanonicalChatRequest["tools"],
  boundOpenEnded: boolean,
): ChatModelFunctions | undefined {
  if (tools.length === 0) return undefined;
  const functions: Record<string, { description?: string; params: ReturnType<typeof toGbnfSchema> }> = {};
  for (const tool of tools) {
    functions[tool.name] = {
      ...(tool.description === undefined ? {} : { description: tool.description }),
      params: toGbnfSchema(tool.parameters, { boundOpenEnded }),
    };
  }
  return functions;
}

function forcedToolFor(request: CanonicalChatRequest): string | undefined {
  switch (request.toolChoice.type) {
    case "required":
      return "*";
    case "tool":
      return request.toolChoice.name;
    default:
      return undefined;
  }
}

/** How a generation that was not aborted ended (an abort throws before its result is mapped). */
type StopMetadata =
  | { stopReason: "eogToken" | "stopGenerationTrigger" | "functionCalls" | "maxTokens" }
  | { stopReason: "customStopTrigger"; customStopTrigger: (string | Token)[] };

/** An aborted generation has no finish: it ends with its abort reason instead. */
function notAborted(metadata: StopMetadata | { stopReason: "abort" }, signal: AbortSignal): StopMetadata {
  if (metadata.stopReason === "abort") throw abortError(signal);
  return metadata.stopReason === "customStopTrigger" ? metadata : { stopReason: metadata.stopReason };
}

function mapStop(
  metadata: StopMetadata,
  toolCalls: ToolCall[],
): { finishReason: FinishReason; stopSequence?: string } {
  const raw = metadata.stopReason;
  // Any end with calls but running out of tokens means the client must act on them (docs/node-llama-cpp.md §5).
  if (toolCalls.length > 0 && raw !== "maxTokens") return { finishReason: { unified: "tool_calls", raw } };
  switch (metadata.stopReason) {
    // Out of tokens is `length` even with calls: the last one may be cut off, and OpenAI and Anthropic
    // say `length` / `max_tokens` then too (docs/api-conformance.md, "Cut off by max_tokens").
    case "maxTokens":
      return { finishReason: { unified: "length", raw } };
    case "customStopTrigger":
      return {
        finishReason: { unified: "stop_sequence", raw },
        stopSequence: metadata.customStopTrigger.filter((part) => typeof part === "string").join(""),
      };
    case "stopGenerationTrigger":
    case "eogToken":
    case "functionCalls":
      return { finishReason: { unified: "stop", raw } };
    default:
      return metadata satisfies never;
  }
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new CortexError("request_aborted", "request aborted");
}
