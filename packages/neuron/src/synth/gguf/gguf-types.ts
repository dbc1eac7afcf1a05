/** The subset of GGUF v3 that the synthetic models use. */

export const GGUF_MAGIC = "GGUF";
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** ggml tensor type ids as stored in tensor infos. bf16 (30) is written by the HF converter (convert/). */
export const GGML_TYPE = { f32: 0, f16: 1, q8_0: 8, bf16: 30 } as const;
export type GgmlTypeName = keyof typeof GGML_TYPE;

/** GGUF metadata value type ids. */
export const GGUF_VALUE_TYPE = {
  u16: 2,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
} as const;

export type GgufArrayItemType = "string" | "i32" | "u32" | "f32";

export type GgufValue =
  | { readonly type: "u16" | "u32" | "i32" | "f32"; readonly value: number }
  | { readonly type: "bool"; readonly value: boolean }
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "array"; readonly itemType: "string"; readonly values: readonly string[] }
  | { readonly type: "array"; readonly itemType: "i32" | "u32" | "f32"; readonly values: readonly number[] };

export interface GgufKeyValue {
  readonly key: string;
  readonly value: GgufValue;
}

/** Dims in ggml order: dims[0] (ne0) is the innermost, contiguous one. */
export interface GgufTensorInfo {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type: GgmlTypeName;
}

export const gguf = {
  u16: (value: number): GgufValue => ({ type: "u16", value }),
  u32: (value: number): GgufValue => ({ type: "u32", value }),
  i32: (value: number): GgufValue => ({ type: "i32", value }),
  f32: (value: number): GgufValue => ({ type: "f32", value }),
  bool: (value: boolean): GgufValue => ({ type: "bool", value }),
  string: (value: string): GgufValue => ({ type: "string", value }),
  strings: (values: readonly string[]): GgufValue => ({ type: "array", itemType: "string", values }),
  i32s: (values: readonly number[]): GgufValue => ({ type: "array", itemType: "i32", values }),
  u32s: (values: readonly number[]): GgufValue => ({ type: "array", itemType: "u32", values }),
  f32s: (values: readonly number[]): GgufValue => ({ type: "array", itemType: "f32", values }),
};
