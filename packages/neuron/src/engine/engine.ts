import type {
  Backend,
  CanonicalChatRequest,
  ContentDelta,
  FinishReason,
  KvCacheReport,
  PrefixReport,
  ToolCall,
  Usage,
} from "@cortex/core";

/**
 * The seam between the neuron and an inference library. The node-llama-cpp engine is the real one; the
 * fake engine implements the same contract for fault injection and fast tests.
 */
export interface Engine {
  readonly name: string;
  discover(): Promise<EngineDiscovery>;
  /** Reads a model file's metadata without loading weights. Never throws for a bad file: it says why. */
  inspect(path: string): Promise<ModelInspection>;
  /** Bytes a load with these options is expected to take on this node's memory (VRAM on GPU, else RAM). */
  estimateMemory(path: string, options: EstimateOptions): Promise<number>;
  load(path: string, options: LoadOptions): Promise<EngineModel>;
  dispose(): Promise<void>;
}

export interface EngineDiscovery {
  backend: Backend;
  gpus: { index: number; name: string; vramTotal: number; vramFree: number }[];
  /** Total and free memory models can be placed in: VRAM on GPU backends, RAM on CPU. */
  deviceMemory: { total: number; free: number };
}

export type ModelInspection =
  | {
      ok: true;
      architecture: string;
      quantization: string | null;
      parameters: number | null;
      trainContextLength: number | null;
      /**
       * F16 K + V bytes for one token in every layer, from the metadata alone: lets a load request be
       * checked against the budget by arithmetic before anything is simulated or allocated.
       */
      kvBytesPerToken: number | null;
      fileSize: number;
    }
  | { ok: false; reason: string; architecture: string | null; fileSize: number };

export interface EstimateOptions {
  contextSize: number;
  sequences: number;
  gpuLayers: number | "auto" | "max";
}

export interface LoadOptions extends EstimateOptions {
  /** The model's id on this node (metric labels, logs). */
  modelId?: string;
  signal?: AbortSignal;
  /** 0..1 as weights load. */
  onProgress?: (progress: number) => void;
}

export interface GenerateOptions {
  signal: AbortSignal;
  /** Content as it is generated; the neuron places the block boundaries (core's StreamBlocks). */
  onEvent: (delta: ContentDelta) => void;
  /**
   * The prompt was accepted (it fits), has its sequence, and generation is about to start: a streaming
   * response can send its headers now, so clients see a live stream during long prompt processing, and
   * the prompt's usage (`completionTokens` 0), which Anthropic's `message_start` reports.
   */
  onStarted?: (promptUsage: Usage) => void;
  /**
   * Test-only: force a call of this tool (or of any tool with "*") by steering the first tokens into the
   * chat wrapper's function-call prefix. Random weights never call tools on their own.
   */
  forceToolCall?: string;
  /**
   * Test-only: open a thought segment by steering the first tokens into the chat wrapper's thought prefix
   * (`<think>` for Qwen3), unless a tool call is forced. Random weights never reason on their own.
   */
  forceThought?: boolean;
}

export interface ChatResult {
  text: string;
  reasoning?: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  stopSequence?: string;
  usage: Usage;
  /** Prompt tokens actually evaluated (the rest came from the sequence's KV cache). */
  evaluatedPromptTokens: number;
}

export interface CompletionRequest {
  prompt: string;
  maxTokens?: number;
  stop: string[];
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
}

export interface ModelCacheReport {
  kv_cache?: KvCacheReport;
  prefixes: PrefixReport;
  /** Measured prompt evaluation speed; null before any measurement. */
  prefill_tokens_per_s?: number | null;
}

export interface EngineModel {
  /** Tokens per sequence. */
  readonly contextSize: number;
  /** Bytes the loaded model and its context take. */
  readonly memoryUsage: number;
  /** Requests waiting for a free sequence. */
  readonly queued: number;
  chat(request: CanonicalChatRequest, options: GenerateOptions): Promise<ChatResult>;
  complete(request: CompletionRequest, options: GenerateOptions): Promise<ChatResult>;
  embed(inputs: string[], signal: AbortSignal): Promise<{ vectors: number[][]; promptTokens: number }>;
  /** Tokens of the prompt exactly as the model would see it (chat template, tools included). */
  tokenizeChat(request: Pick<CanonicalChatRequest, "messages" | "tools">): number[];
  /** Tokens of a plain prompt exactly as `complete` feeds it (BOS added, special-token text kept as text). */
  tokenize(text: string): number[];
  /** Its KV state tier and the prefixes it serves fast, for `GET /models` (engines without them omit it). */
  cacheReport?(): ModelCacheReport;
  /** Callers must have aborted and awaited every generation first (docs/node-llama-cpp.md §7.6). */
  dispose(): Promise<void>;
}
