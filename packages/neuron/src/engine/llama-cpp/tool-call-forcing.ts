import { LlamaText, TokenBias, type ChatWrapper, type LlamaModel, type Token } from "node-llama-cpp";

/**
 * Steers generation into the chat wrapper's function-call prefix, one forced token per step, after which
 * LlamaChat switches to its function-calling grammar by itself. This is how `tool_choice: "required"`
 * and the test-only hook make even random weights produce a real, schema-valid call.
 */
export class ToolCallForcing {
  readonly #tokens: Token[];
  readonly #model: LlamaModel;
  #steps = 0;

  private constructor(model: LlamaModel, tokens: Token[]) {
    this.#model = model;
    this.#tokens = tokens;
  }

  /** `toolName` "*" lets the grammar choose the function. Null when the wrapper has no call syntax. */
  static create(model: LlamaModel, wrapper: ChatWrapper, toolName: string): ToolCallForcing | null {
    const call = wrapper.settings.functions.call;
    const prefix = LlamaText([call.prefix, toolName === "*" ? "" : toolName]);
    const tokens = prefix.tokenize(model.tokenizer, "trimLeadingSpace");
    return tokens.length > 0 ? new ToolCallForcing(model, tokens) : null;
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
