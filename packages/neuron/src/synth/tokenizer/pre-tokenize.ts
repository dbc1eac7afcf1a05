/**
 * llama.cpp's `qwen2` pre-tokenizer split (the `llama-bpe` one differs only in grouping up to three
 * digits). Learning merges inside these pieces keeps every merge valid for both: no merge ever spans a
 * boundary either tokenizer splits at. The same pattern goes into tokenizer.json for the HF folder.
 */
export const PRE_TOKENIZER_PATTERN =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

export function preTokenize(text: string): string[] {
  return text.match(new RegExp(PRE_TOKENIZER_PATTERN, "gu")) ?? [];
}
