import {
  LlamaChat,
  LlamaLogLevel,
  getLlama,
  resolveChatWrapper,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
} from "node-llama-cpp";
import { fairBatchStrategy } from "@cortex/neuron";
import type { StreamSample } from "./stream-sample.js";

export interface BareLlamaOptions {
  modelPath: string;
  threads: number;
  sequences: number;
  contextSize: number;
}

/**
 * node-llama-cpp with nothing around it, set up the way the neuron's engine sets itself up (same
 * getLlama, loadModel, createContext, pre-resolved chat wrapper, one LlamaChat per request on a pooled
 * sequence): the ceiling the neuron is measured against.
 */
export class BareLlama {
  readonly #llama: Llama;
  readonly #model: LlamaModel;
  readonly #context: LlamaContext;
  readonly #wrapper: ChatWrapper;
  readonly #free: LlamaContextSequence[];

  private constructor(llama: Llama, model: LlamaModel, context: LlamaContext, wrapper: ChatWrapper) {
    this.#llama = llama;
    this.#model = model;
    this.#context = context;
    this.#wrapper = wrapper;
    this.#free = [];
    while (context.sequencesLeft > 0) this.#free.push(context.getSequence());
  }

  static async open(options: BareLlamaOptions): Promise<BareLlama> {
    const llama = await getLlama({
      gpu: false,
      build: "never",
      maxThreads: options.threads,
      logLevel: LlamaLogLevel.warn,
    });
    const model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: 0 });
    const context = await model.createContext({
      contextSize: options.contextSize,
      sequences: options.sequences,
      threads: options.threads,
      // As the neuron's engine does (llama-cpp-engine.ts): the comparison is about what sits around it.
      flashAttention: true,
      batching: { itemPrioritizationStrategy: fairBatchStrategy },
      failedCreationRemedy: false,
    });
    return new BareLlama(llama, model, context, resolveChatWrapper(model));
  }

  /** One greedy chat generation of exactly `maxTokens` tokens (the generated models never emit EOS). */
  async stream(prompt: string, maxTokens: number): Promise<StreamSample> {
    const sequence = this.#free.pop();
    if (!sequence) throw new Error("bare engine: more concurrent streams than sequences");
    const startedAt = performance.now();
    const chat = new LlamaChat({
      contextSequence: sequence,
      chatWrapper: this.#wrapper,
      autoDisposeSequence: false,
    });
    let firstTokenAt: number | undefined;
    let lastTokenAt: number | undefined;
    let tokens = 0;
    let text = "";
    try {
      await chat.generateResponse([{ type: "user", text: prompt }], {
        maxTokens,
        temperature: 0,
        seed: 0,
        onToken: (chunk) => {
          tokens += chunk.length;
        },
        onResponseChunk: (chunk) => {
          if (chunk.text === "" || chunk.type !== undefined) return;
          lastTokenAt = performance.now();
          firstTokenAt ??= lastTokenAt;
          text += chunk.text;
        },
      });
    } finally {
      chat.dispose({ disposeSequence: false });
      this.#free.push(sequence);
    }
    return { startedAt, firstTokenAt, lastTokenAt, endedAt: performance.now(), tokens, text };
  }

  async close(): Promise<void> {
    await this.#context.dispose();
    await this.#model.dispose();
    await this.#llama.dispose();
  }
}
