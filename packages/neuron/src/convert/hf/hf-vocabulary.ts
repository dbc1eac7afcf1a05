import { HfModelError } from "../hf-model-error.js";
import { isRecord, type HfModelConfig } from "./hf-model-config.js";

/** GGUF tokenizer.ggml.token_type values (llama.cpp's llama_token_type). */
export const GGUF_TOKEN_TYPE = { normal: 1, control: 3, userDefined: 4, unused: 5 } as const;

/** Everything the GGUF tokenizer keys need, in GGUF form. */
export interface HfVocabulary {
  /** Normal tokens in byte-level form (as tokenizer.json stores them), added tokens verbatim. */
  readonly tokens: readonly string[];
  readonly tokenTypes: readonly number[];
  /** `"left right"`, rank order. */
  readonly merges: readonly string[];
  readonly pre: string;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly padId: number | null;
  readonly eotId: number | null;
  readonly addBos: boolean;
  readonly addEos: boolean;
  readonly chatTemplate: string | null;
}

export interface HfVocabularyInput {
  /** Parsed tokenizer.json. */
  readonly tokenizer: unknown;
  /** Parsed tokenizer_config.json, or null when the folder has none. */
  readonly tokenizerConfig: unknown;
  readonly config: HfModelConfig;
  /** chat_template.jinja (or chat_template.json's template) when the folder has one. */
  readonly chatTemplateFile: string | null;
  /** Rows of the embedding: the GGUF vocabulary must have exactly this many tokens. */
  readonly tokenCount: number;
}

/**
 * llama.cpp picks tokenizer.ggml.pre by hashing how the HF tokenizer splits a probe text; without
 * running the HF tokenizer we take the family's own pre-tokenizer, which is what real Llama 3 and
 * Qwen3 checkpoints hash to.
 */
const PRE_TOKENIZER: Readonly<Record<HfModelConfig["arch"], string>> = {
  llama: "llama-bpe",
  qwen3: "qwen2",
  qwen3moe: "qwen2",
};

/** Tokens llama.cpp's converter also treats as end-of-turn when it sees them. */
const END_OF_TURN_TOKENS = ["<|eot_id|>"];

interface AddedToken {
  readonly id: number;
  readonly content: string;
  readonly special: boolean;
}

/**
 * Pure: a byte-level BPE tokenizer.json (+ tokenizer_config.json) → the GGUF vocabulary, typed the way
 * convert_hf_to_gguf.py types it: base vocabulary NORMAL, added tokens CONTROL when special (or when
 * they look like `<|…|>`), otherwise USER_DEFINED; ids with no token become `[PADn]` UNUSED.
 */
export function buildHfVocabulary(input: HfVocabularyInput): HfVocabulary {
  const { tokenizer, config, tokenCount } = input;
  if (!isRecord(tokenizer) || !isRecord(tokenizer.model)) {
    throw new HfModelError("tokenizer.json is not a tokenizers file (no model section)");
  }
  const model = tokenizer.model;
  if (model.type !== "BPE") {
    throw new HfModelError(
      `tokenizer.json: model type ${JSON.stringify(model.type)} is not supported (only byte-level BPE)`,
    );
  }
  if (!isByteLevel(tokenizer)) {
    throw new HfModelError(
      "tokenizer.json: only byte-level BPE tokenizers (GPT-2 style, as Llama 3 and Qwen use) are supported",
    );
  }
  if (!isRecord(model.vocab)) throw new HfModelError("tokenizer.json: model.vocab is missing");
  const tokens: (string | undefined)[] = Array.from({ length: tokenCount });
  const tokenTypes: number[] = Array.from({ length: tokenCount }, () => GGUF_TOKEN_TYPE.unused);
  const place = (id: unknown, text: string, type: number): void => {
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) {
      throw new HfModelError(
        `tokenizer.json: token ${JSON.stringify(text)} has a bad id ${JSON.stringify(id)}`,
      );
    }
    if (id >= tokenCount) {
      throw new HfModelError(
        `tokenizer.json: token id ${id} (${JSON.stringify(text)}) is outside the embedding's ${tokenCount} rows`,
      );
    }
    tokens[id] = text;
    tokenTypes[id] = type;
  };
  for (const [text, id] of Object.entries(model.vocab)) place(id, text, GGUF_TOKEN_TYPE.normal);
  const added = addedTokens(tokenizer);
  for (const token of added) {
    const control = token.special || looksSpecial(token.content);
    place(token.id, token.content, control ? GGUF_TOKEN_TYPE.control : GGUF_TOKEN_TYPE.userDefined);
  }
  const texts = tokens.map((text, id) => text ?? `[PAD${id}]`);
  const ids = new Map<string, number>(Object.entries(model.vocab as Record<string, number>));
  // A special string resolves to its added entry, even if the base vocabulary has the same text.
  for (const token of added) ids.set(token.content, token.id);
  const idOf = (text: string): number | undefined => ids.get(text);
  const tokenizerConfig = isRecord(input.tokenizerConfig) ? input.tokenizerConfig : {};
  const special = (key: string, fallback: number | null): number | null => {
    const text = tokenText(tokenizerConfig[key]);
    const id = text === null ? undefined : idOf(text);
    return id ?? (fallback !== null && fallback < tokenCount ? fallback : null);
  };
  const bosId = special("bos_token", config.bosTokenId);
  return {
    tokens: texts,
    tokenTypes,
    merges: mergesOf(model.merges),
    pre: PRE_TOKENIZER[config.arch],
    bosId,
    eosId: special("eos_token", config.eosTokenId),
    padId: special("pad_token", config.padTokenId),
    eotId: END_OF_TURN_TOKENS.map(idOf).find((id) => id !== undefined) ?? null,
    addBos:
      typeof tokenizerConfig.add_bos_token === "boolean"
        ? tokenizerConfig.add_bos_token
        : postProcessorAddsBos(tokenizer.post_processor, bosId === null ? null : (texts[bosId] ?? null)),
    addEos: tokenizerConfig.add_eos_token === true,
    chatTemplate: chatTemplateOf(tokenizerConfig.chat_template) ?? input.chatTemplateFile,
  };
}

/** The same test convert_hf_to_gguf.py's does_token_look_special applies to added tokens. */
function looksSpecial(text: string): boolean {
  return (
    ["<pad>", "<mask>", "<2mass>", "[@BOS@]"].includes(text) ||
    (text.startsWith("<|") && text.endsWith("|>")) ||
    (text.startsWith("<｜") && text.endsWith("｜>"))
  );
}

function addedTokens(tokenizer: Record<string, unknown>): AddedToken[] {
  const list = tokenizer.added_tokens ?? [];
  if (!Array.isArray(list)) throw new HfModelError("tokenizer.json: added_tokens must be a list");
  return list.map((entry: unknown) => {
    if (!isRecord(entry) || typeof entry.content !== "string" || typeof entry.id !== "number") {
      throw new HfModelError("tokenizer.json: an added_tokens entry has no id or content");
    }
    return { id: entry.id, content: entry.content, special: entry.special === true };
  });
}

/** Byte-level when the pre-tokenizer or the decoder is ByteLevel (alone or inside a Sequence). */
function isByteLevel(tokenizer: Record<string, unknown>): boolean {
  const has = (node: unknown): boolean => {
    if (!isRecord(node)) return false;
    if (node.type === "ByteLevel") return true;
    const children = node.pretokenizers ?? node.decoders ?? node.processors;
    return Array.isArray(children) && children.some(has);
  };
  return has(tokenizer.pre_tokenizer) || has(tokenizer.decoder);
}

/** Merges are `"a b"` strings in older files and `["a", "b"]` pairs in newer ones. */
function mergesOf(merges: unknown): string[] {
  if (!Array.isArray(merges) || merges.length === 0) {
    throw new HfModelError("tokenizer.json: model.merges is missing or empty");
  }
  return merges.map((merge: unknown) => {
    if (typeof merge === "string") return merge;
    if (Array.isArray(merge) && merge.length === 2 && merge.every((part) => typeof part === "string")) {
      return `${merge[0] as string} ${merge[1] as string}`;
    }
    throw new HfModelError('tokenizer.json: a merge is neither "a b" nor ["a", "b"]');
  });
}

/** tokenizer_config.json stores special tokens as a string or as an AddedToken object. */
function tokenText(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (isRecord(value) && typeof value.content === "string") return value.content;
  return null;
}

/** Llama 3 has no add_bos_token key: its post-processor template starts with the BOS token instead. */
function postProcessorAddsBos(processor: unknown, bos: string | null): boolean {
  if (bos === null || !isRecord(processor)) return false;
  if (Array.isArray(processor.processors)) {
    return processor.processors.some((child: unknown) => postProcessorAddsBos(child, bos));
  }
  if (processor.type !== "TemplateProcessing" || !Array.isArray(processor.single)) return false;
  const first: unknown = processor.single[0];
  return isRecord(first) && isRecord(first.SpecialToken) && first.SpecialToken.id === bos;
}

/** A single template, or the "default" one of a list of named templates. */
function chatTemplateOf(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (!Array.isArray(value)) return null;
  const named = value.filter(isRecord);
  const chosen = named.find((entry) => entry.name === "default") ?? named[0];
  return typeof chosen?.template === "string" ? chosen.template : null;
}
