import { LlamaText, TokenBias, type ChatWrapper, type LlamaModel, type Token } from "node-llama-cpp";

/**
 * Steers generation into one of the chat wrapper's own prefixes, one forced token per step, after which
 * LlamaChat carries on by itself: into its function-calling grammar after the function-call prefix, into
 * a thought segment after the thought prefix. This is how `tool_choice: "required"` and the test-only
 * hooks make even random weights produce a real, schema-valid call or real reasoning.
 */
export class PrefixForcing {
  readonly #tokens: Token[];
  readonly #model: LlamaModel;
  #steps = 0;

  private constructor(model: LlamaModel, tokens: Token[]) {
    this.#model = model;
    this.#tokens = tokens;
  }

  /** `toolName` "*" lets the grammar choose the function. Null when the wrapper has no call syntax. */
  static toolCall(model: LlamaModel, wrapper: ChatWrapper, toolName: string): PrefixForcing | null {
    const call = wrapper.settings.functions.call;
    return PrefixForcing.#of(model, LlamaText([call.prefix, toolName === "*" ? "" : toolName]));
  }

  /** Test-only: open a thought segment. Null when the wrapper has none (the model cannot reason). */
  static thought(model: LlamaModel, wrapper: ChatWrapper): PrefixForcing | null {
    const thought = wrapper.settings.segments?.thought;
    // A wrapper that opens the segment in the prompt already generates inside it.
    const prefix = thought?.prefix;
    if (prefix === undefined || thought?.openOnResponseStart === true) return null;
    if (typeof prefix === "object" && "type" in prefix) return null;
    return PrefixForcing.#of(model, LlamaText(prefix));
  }

  static #of(model: LlamaModel, prefix: LlamaText): PrefixForcing | null {
    const tokens = prefix.tokenize(model.tokenizer, "trimLeadingSpace");
    return tokens.length > 0 ? new PrefixForcing(model, tokens) : null;
  }

  /**
   * node-llama-cpp resolves the bias once per sampled token, so the call count is the step. (Counting
   * `onToken` does not work: LlamaChat holds back tokens that might start a function call.)
   */
  readonly tokenBias = (): TokenBias => {
    const bias = new TokenBias(this.#model.tokenizer);
    const next = this.#tokens[this.#steps++];
    if (next !== undefined) bias.set(next, { logit: 1000 });
    return bias;
  };
}
