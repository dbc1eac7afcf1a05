import { PairHeap } from "./pair-heap.js";

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

export interface LearnedBpe {
  /** Byte sequence of every token: ids 0..255 are the single bytes, then one entry per new token. */
  readonly tokenBytes: readonly Uint8Array[];
  /** Merges in rank order, as token id pairs. A merge may produce a token an earlier merge made. */
  readonly merges: readonly (readonly [number, number])[];
}

const PAIR_KEY_BASE = 1 << 16;

interface Word {
  symbols: number[];
  readonly count: number;
}

/**
 * Classic byte-level BPE training over the distinct pre-tokenized pieces of `text`: repeatedly merge
 * the most frequent adjacent pair, updating only the words that contain it.
 */
export function learnBpe(text: string, targetMerges: number): LearnedBpe {
  const words = collectWords(text);
  const tokenBytes: Uint8Array[] = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));
  const tokenIdsByText = new Map<string, number>(tokenBytes.map((bytes, id) => [bytesKey(bytes), id]));
  const merges: [number, number][] = [];
  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const heap = new PairHeap();

  const addPairs = (wordIndex: number, sign: 1 | -1, touched: Set<number>): void => {
    const word = words[wordIndex];
    if (word === undefined) return;
    for (let i = 0; i + 1 < word.symbols.length; i++) {
      const key = (word.symbols[i] ?? 0) * PAIR_KEY_BASE + (word.symbols[i + 1] ?? 0);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + sign * word.count);
      touched.add(key);
      if (sign > 0) {
        let set = pairWords.get(key);
        if (set === undefined) pairWords.set(key, (set = new Set()));
        set.add(wordIndex);
      }
    }
  };
  const pushTouched = (touched: Set<number>): void => {
    for (const key of touched) {
      const count = pairCounts.get(key) ?? 0;
      if (count > 0) heap.push(count, key);
    }
  };

  const initial = new Set<number>();
  for (let w = 0; w < words.length; w++) addPairs(w, 1, initial);
  pushTouched(initial);

  while (merges.length < targetMerges) {
    const top = heap.pop();
    if (top === null) break;
    if (pairCounts.get(top.key) !== top.count) continue;
    const left = Math.floor(top.key / PAIR_KEY_BASE);
    const right = top.key % PAIR_KEY_BASE;
    const merged = concatBytes(tokenBytes[left], tokenBytes[right]);
    let mergedId = tokenIdsByText.get(bytesKey(merged));
    if (mergedId === undefined) {
      mergedId = tokenBytes.length;
      tokenBytes.push(merged);
      tokenIdsByText.set(bytesKey(merged), mergedId);
    }
    merges.push([left, right]);
    const touched = new Set<number>();
    for (const wordIndex of pairWords.get(top.key) ?? []) {
      const word = words[wordIndex];
      if (word === undefined || !containsPair(word.symbols, left, right)) continue;
      addPairs(wordIndex, -1, touched);
      word.symbols = mergeSymbols(word.symbols, left, right, mergedId);
      addPairs(wordIndex, 1, touched);
    }
    pairCounts.delete(top.key);
    touched.delete(top.key);
    pushTouched(touched);
  }
  return { tokenBytes, merges };
}

function collectWords(text: string): Word[] {
  const counts = new Map<string, number>();
  for (const piece of preTokenize(text)) counts.set(piece, (counts.get(piece) ?? 0) + 1);
  const encoder = new TextEncoder();
  return [...counts].map(([piece, count]) => ({ symbols: [...encoder.encode(piece)], count }));
}

function containsPair(symbols: readonly number[], left: number, right: number): boolean {
  for (let i = 0; i + 1 < symbols.length; i++) {
    if (symbols[i] === left && symbols[i + 1] === right) return true;
  }
  return false;
}

function mergeSymbols(symbols: readonly number[], left: number, right: number, merged: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (symbols[i] === left && symbols[i + 1] === right) {
      out.push(merged);
      i++;
    } else {
      out.push(symbols[i] ?? 0);
    }
  }
  return out;
}

function concatBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): Uint8Array {
  const out = new Uint8Array((a?.length ?? 0) + (b?.length ?? 0));
  out.set(a ?? [], 0);
  out.set(b ?? [], a?.length ?? 0);
  return out;
}

function bytesKey(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("latin1");
}
