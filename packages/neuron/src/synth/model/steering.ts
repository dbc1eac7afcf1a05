import { combineSeeds, mix32 } from "../random/seeded-random.js";
import type { SynthVocabulary } from "../tokenizer/synth-vocabulary.js";

/**
 * Reserved residual dims that make random weights behave (docs/node-llama-cpp.md §2.4). Attention and FFN never write
 * them (their output rows are zero), so each position's value is exactly its token embedding's, and
 * output.weight reads them as a per-token logit bias:
 *
 * - dim 0, the bias channel: constant in every embedding. Tokens that are not printable ASCII or "\n",
 *   and all special tokens, get a large negative weight, so greedy output is clean text, `maxTokens` N
 *   gives N tokens and EOS never wins.
 * - with `ends`, dim 1 marks sentence-ending tokens ("." "!" "?" …) and boosts EOS at the next
 *   position; dims 2.. are a one-hot "level" 0..L. Each level-ℓ token boosts tokens of level ℓ+1 and
 *   ℓ+2, and the top levels lead to sentence ends. Newlines, sentence ends and specials are level 0, so
 *   a greedy reply starts at level 0 and reaches a sentence end (then EOS) within L+1 tokens,
 *   whatever the context length. Sampled replies mostly follow the chain too (at temperature 1 they
 *   ended within ~50 tokens), since the bonus dwarfs the noise.
 *
 * Greedy choice only compares logits, and the final RMS norm scales all of them alike, so the margins
 * below are in raw units: the noise of a logit is about 0.8 × (RMS of the random part of the residual).
 */
export const STEERING = {
  biasValue: 4,
  suppression: 5,
  featureValue: 4,
  levelWeight: 3,
  eosWeight: 10,
  levels: 10,
} as const;

const BIAS_DIM = 0;
const END_DIM = 1;
const FIRST_LEVEL_DIM = 2;

type TokenClass = "special" | "suppressed" | "text" | "newline" | "sentenceEnd";

export interface Steering {
  /** Dims 0..reservedDims-1 are reserved; layers must not write them. */
  readonly reservedDims: number;
  isSpecial(tokenId: number): boolean;
  /** Overwrites the reserved dims of a token_embd row. */
  applyToEmbedding(tokenId: number, row: Float32Array): void;
  /** Overwrites the reserved dims of an output.weight row. */
  applyToOutput(tokenId: number, row: Float32Array): void;
}

export function createSteering(vocabulary: SynthVocabulary, ends: boolean, seed: number): Steering {
  const classes = vocabulary.tokenBytes.map(classify);
  const { levels } = STEERING;
  const level = (tokenId: number): number => {
    const tokenClass = classes[tokenId];
    if (tokenClass === "text" || tokenClass === "suppressed") {
      return 1 + (mix32(combineSeeds(seed, tokenId)) % levels);
    }
    return 0;
  };
  return {
    reservedDims: ends ? FIRST_LEVEL_DIM + levels + 1 : 1,
    isSpecial: (tokenId) => classes[tokenId] === "special",
    applyToEmbedding(tokenId, row) {
      row.fill(0, 0, this.reservedDims);
      row[BIAS_DIM] = STEERING.biasValue;
      if (!ends) return;
      if (classes[tokenId] === "sentenceEnd") row[END_DIM] = STEERING.featureValue;
      row[FIRST_LEVEL_DIM + level(tokenId)] = STEERING.featureValue;
    },
    applyToOutput(tokenId, row) {
      row.fill(0, 0, this.reservedDims);
      const tokenClass = classes[tokenId];
      const printable = tokenClass === "text" || tokenClass === "newline" || tokenClass === "sentenceEnd";
      row[BIAS_DIM] = printable ? 0 : -STEERING.suppression;
      if (!ends) return;
      if (tokenId === vocabulary.eosId) row[END_DIM] = STEERING.eosWeight;
      // Predecessor levels: a sentence end follows the two top levels, level ℓ follows ℓ-1 and ℓ-2.
      const target = tokenClass === "sentenceEnd" ? levels + 1 : tokenClass === "text" ? level(tokenId) : 0;
      for (const previous of [target - 1, target - 2]) {
        if (target > 0 && previous >= 0) row[FIRST_LEVEL_DIM + previous] = STEERING.levelWeight;
      }
    },
  };
}

function classify(bytes: Uint8Array | null): TokenClass {
  if (bytes === null) return "special";
  for (const byte of bytes) {
    if (byte !== 0x0a && (byte < 0x20 || byte > 0x7e)) return "suppressed";
  }
  const text = Buffer.from(bytes).toString("latin1");
  if (text.trim() === "") return text.includes("\n") ? "newline" : "text";
  return /[.!?]$/.test(text.trimEnd()) ? "sentenceEnd" : "text";
}
