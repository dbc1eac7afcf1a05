import type { RowSource } from "../encode/row-source.js";
import { chatTemplateFor } from "../templates/chat-templates.js";
import { buildVocabulary, type SynthVocabulary } from "../tokenizer/synth-vocabulary.js";
import { modelShape, type ModelShape, type SynthArch, type SynthSize } from "./model-shape.js";
import { createSteering } from "./steering.js";
import { planTensors, tensorValueCount, type PlannedTensor } from "./tensor-plan.js";
import { tensorRows } from "./weight-rows.js";

export interface ModelPartsOptions {
  readonly arch: SynthArch;
  readonly size: SynthSize;
  readonly seed: number;
  readonly ends: boolean;
  readonly contextLength: number;
}

/** Everything both writers need, with weights still unmaterialized (row sources). */
export interface ModelParts {
  readonly shape: ModelShape;
  readonly vocabulary: SynthVocabulary;
  readonly chatTemplate: string;
  readonly tensors: readonly PlannedTensor[];
  readonly parameters: number;
  rows(tensor: PlannedTensor): RowSource;
}

export function buildModelParts(options: ModelPartsOptions): ModelParts {
  const shape = modelShape(options.arch, options.size, options.contextLength);
  const vocabulary = buildVocabulary(options.arch === "llama" ? "llama" : "qwen");
  const steering = createSteering(vocabulary, options.ends, options.seed);
  const tensors = planTensors(shape, vocabulary.tokens.length);
  const context = { seed: options.seed, shape, steering };
  return {
    shape,
    vocabulary,
    chatTemplate: chatTemplateFor(vocabulary.family),
    tensors,
    parameters: tensors.reduce((sum, t) => sum + tensorValueCount(t), 0),
    rows: (tensor) => tensorRows(tensor, context),
  };
}
