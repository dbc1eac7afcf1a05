import { PRE_TOKENIZER_PATTERN } from "../tokenizer/learn-bpe.js";
import { TOKEN_TYPE } from "../tokenizer/special-tokens.js";
import type { SynthVocabulary } from "../tokenizer/synth-vocabulary.js";

/** llama-bpe groups up to three digits; our merges never join digits, so both splits fit them. */
const LLAMA3_PATTERN = PRE_TOKENIZER_PATTERN.replace("|\\p{N}|", "|\\p{N}{1,3}|");

const BYTE_LEVEL = { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false };

interface AddedToken {
  readonly id: number;
  readonly content: string;
  readonly special: boolean;
}

function addedTokens(vocabulary: SynthVocabulary): AddedToken[] {
  return [...vocabulary.specialTokenIds].map(([content, id]) => ({
    id,
    content,
    // Only CONTROL tokens are "special"; tool and think tags stay visible, as in Qwen's own files.
    special: vocabulary.tokenTypes[id] === TOKEN_TYPE.control,
  }));
}

/** tokenizer.json for the `tokenizers` library: byte-level BPE with our vocabulary and merges. */
export function hfTokenizerJson(vocabulary: SynthVocabulary): object {
  const bos = vocabulary.tokens[vocabulary.bosId] ?? "";
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens(vocabulary).map((token) => ({
      ...token,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
    })),
    normalizer: null,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        {
          type: "Split",
          pattern: { Regex: vocabulary.family === "llama" ? LLAMA3_PATTERN : PRE_TOKENIZER_PATTERN },
          behavior: "Isolated",
          invert: false,
        },
        BYTE_LEVEL,
      ],
    },
    post_processor: vocabulary.addBos
      ? {
          type: "TemplateProcessing",
          single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
          pair: [
            { SpecialToken: { id: bos, type_id: 0 } },
            { Sequence: { id: "A", type_id: 0 } },
            { SpecialToken: { id: bos, type_id: 1 } },
            { Sequence: { id: "B", type_id: 1 } },
          ],
          special_tokens: { [bos]: { id: bos, ids: [vocabulary.bosId], tokens: [bos] } },
        }
      : BYTE_LEVEL,
    decoder: BYTE_LEVEL,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(
        vocabulary.tokens.flatMap((token, id) => (vocabulary.tokenBytes[id] === null ? [] : [[token, id]])),
      ),
      merges: vocabulary.merges,
    },
  };
}

export function hfTokenizerConfig(
  vocabulary: SynthVocabulary,
  chatTemplate: string,
  contextLength: number,
): object {
  const text = (id: number | null): string | null => (id === null ? null : (vocabulary.tokens[id] ?? null));
  return {
    add_bos_token: vocabulary.addBos,
    add_eos_token: false,
    bos_token: text(vocabulary.bosId),
    eos_token: text(vocabulary.eosId),
    pad_token: text(vocabulary.padId),
    unk_token: null,
    chat_template: chatTemplate,
    clean_up_tokenization_spaces: false,
    model_max_length: contextLength,
    tokenizer_class: vocabulary.family === "qwen" ? "Qwen2Tokenizer" : "PreTrainedTokenizerFast",
    added_tokens_decoder: Object.fromEntries(
      addedTokens(vocabulary).map(({ id, content, special }) => [
        String(id),
        { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special },
      ]),
    ),
  };
}
