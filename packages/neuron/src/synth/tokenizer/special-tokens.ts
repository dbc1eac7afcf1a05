export type TokenizerFamily = "qwen" | "llama";

/** GGUF tokenizer.ggml.token_type values. */
export const TOKEN_TYPE = { normal: 1, control: 3, userDefined: 4 } as const;

export interface SpecialTokenSpec {
  readonly text: string;
  readonly type: (typeof TOKEN_TYPE)["control"] | (typeof TOKEN_TYPE)["userDefined"];
}

const control = (text: string): SpecialTokenSpec => ({ text, type: TOKEN_TYPE.control });
const userDefined = (text: string): SpecialTokenSpec => ({ text, type: TOKEN_TYPE.userDefined });

/** As in real Qwen3 / Llama 3 GGUFs: tool and think tags are USER_DEFINED, so they match in plain text too. */
export const SPECIAL_TOKENS: Readonly<Record<TokenizerFamily, readonly SpecialTokenSpec[]>> = {
  qwen: [
    control("<|endoftext|>"),
    control("<|im_start|>"),
    control("<|im_end|>"),
    userDefined("<tool_call>"),
    userDefined("</tool_call>"),
    userDefined("<tool_response>"),
    userDefined("</tool_response>"),
    userDefined("<think>"),
    userDefined("</think>"),
  ],
  llama: [
    control("<|begin_of_text|>"),
    control("<|end_of_text|>"),
    control("<|start_header_id|>"),
    control("<|end_header_id|>"),
    control("<|eot_id|>"),
    control("<|eom_id|>"),
    control("<|python_tag|>"),
  ],
};

/** Which special token plays which role (docs/node-llama-cpp.md §2.1). */
export const SPECIAL_ROLES: Readonly<
  Record<
    TokenizerFamily,
    { bos: string; eos: string; pad: string; eot: string | null; addBos: boolean; pre: string }
  >
> = {
  qwen: {
    bos: "<|endoftext|>",
    eos: "<|im_end|>",
    pad: "<|endoftext|>",
    eot: null,
    addBos: false,
    pre: "qwen2",
  },
  llama: {
    bos: "<|begin_of_text|>",
    eos: "<|eot_id|>",
    pad: "<|end_of_text|>",
    eot: "<|eot_id|>",
    addBos: true,
    pre: "llama-bpe",
  },
};
