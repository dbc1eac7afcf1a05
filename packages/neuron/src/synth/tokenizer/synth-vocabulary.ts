import { bytesToTokenText } from "./byte-level.js";
import { SAMPLE_CORPUS } from "./corpus/sample-corpus.js";
import { learnBpe, type LearnedBpe } from "./learn-bpe.js";
import { SPECIAL_ROLES, SPECIAL_TOKENS, TOKEN_TYPE, type TokenizerFamily } from "./special-tokens.js";

/** Merges learned from the embedded sample; with it the vocabulary is a few thousand tokens. */
export const TARGET_MERGES = 4000;

export interface SynthVocabulary {
  readonly family: TokenizerFamily;
  /** Token texts in byte-level form (GPT-2 table), specials verbatim. */
  readonly tokens: readonly string[];
  readonly tokenTypes: readonly number[];
  /** `"left right"` in byte-level form, rank order. */
  readonly merges: readonly string[];
  /** Raw bytes of each normal token; null for special tokens. */
  readonly tokenBytes: readonly (Uint8Array | null)[];
  readonly specialTokenIds: ReadonlyMap<string, number>;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly eotId: number | null;
  readonly addBos: boolean;
  readonly pre: string;
}

let learned: LearnedBpe | undefined;

/** Learning takes a moment, so it happens once per process; both families share the merges. */
function learnedBpe(): LearnedBpe {
  learned ??= learnBpe(SAMPLE_CORPUS, TARGET_MERGES);
  return learned;
}

export function buildVocabulary(family: TokenizerFamily): SynthVocabulary {
  const bpe = learnedBpe();
  const tokens = bpe.tokenBytes.map(bytesToTokenText);
  const tokenTypes: number[] = tokens.map(() => TOKEN_TYPE.normal);
  const tokenBytes: (Uint8Array | null)[] = [...bpe.tokenBytes];
  const specialTokenIds = new Map<string, number>();
  for (const special of SPECIAL_TOKENS[family]) {
    specialTokenIds.set(special.text, tokens.length);
    tokens.push(special.text);
    tokenTypes.push(special.type);
    tokenBytes.push(null);
  }
  const roles = SPECIAL_ROLES[family];
  const idOf = (text: string): number => {
    const id = specialTokenIds.get(text);
    if (id === undefined) throw new Error(`special token ${text} missing from the ${family} vocabulary`);
    return id;
  };
  return {
    family,
    tokens,
    tokenTypes,
    merges: bpe.merges.map(([left, right]) => `${tokens[left]} ${tokens[right]}`),
    tokenBytes,
    specialTokenIds,
    bosId: idOf(roles.bos),
    eosId: idOf(roles.eos),
    padId: idOf(roles.pad),
    eotId: roles.eot === null ? null : idOf(roles.eot),
    addBos: roles.addBos,
    pre: roles.pre,
  };
}
