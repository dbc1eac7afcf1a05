import type { GgufKeyValue } from "../synth/gguf/gguf-types.js";
import { parseHfConfig, type HfModelConfig } from "./hf/hf-model-config.js";
import { buildHfVocabulary, type HfVocabulary } from "./hf/hf-vocabulary.js";
import type { HfFolder } from "./hf/read-hf-folder.js";
import { hfGgufMetadata } from "./plan/hf-gguf-metadata.js";
import { planGgufTensors, type ConvertTarget, type TensorPlan } from "./plan/gguf-tensor-plan.js";

export interface PreparedConversion {
  readonly config: HfModelConfig;
  readonly plan: TensorPlan;
  readonly vocabulary: HfVocabulary;
  readonly keyValues: readonly GgufKeyValue[];
}

/**
 * Pure: a read folder → the complete GGUF description (metadata and tensor plan). Every check that can
 * fail without touching tensor data happens here, so a scan reports it and a conversion never starts.
 */
export function prepareConversion(
  folder: HfFolder,
  options: { target: ConvertTarget; name: string },
): PreparedConversion {
  const config = parseHfConfig(folder.config);
  const plan = planGgufTensors(config, folder.weights, options.target);
  const vocabulary = buildHfVocabulary({
    tokenizer: folder.tokenizer,
    tokenizerConfig: folder.tokenizerConfig,
    config,
    chatTemplateFile: folder.chatTemplateFile,
    tokenCount: plan.vocabRows,
  });
  return { config, plan, vocabulary, keyValues: hfGgufMetadata(config, vocabulary, plan, options.name) };
}
