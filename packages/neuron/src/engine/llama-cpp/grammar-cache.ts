import { CortexError, type ResponseFormat } from "@cortex/core";
import type { Llama, LlamaGrammar } from "node-llama-cpp";
import { toGbnfSchema } from "./to-gbnf-schema.js";

const LIMIT = 32;

/** Compiling a JSON-schema grammar costs more than a token; clients repeat the same schema. */
export class GrammarCache {
  readonly #llama: Llama;
  readonly #grammars = new Map<string, Promise<LlamaGrammar>>();

  constructor(llama: Llama) {
    this.#llama = llama;
  }

  async forResponseFormat(format: ResponseFormat): Promise<LlamaGrammar | undefined> {
    switch (format.type) {
      case "text":
        return undefined;
      case "json_object":
        return this.#get("json", () => this.#llama.getGrammarFor("json"));
      case "json_schema": {
        const schema = toGbnfSchema(format.schema);
        return this.#get(JSON.stringify(schema), async () => {
          try {
            // The generic signature wants a literal schema type; ours is only known at run time.
            return await this.#llama.createGrammarForJsonSchema(schema as never);
          } catch (error) {
            throw new CortexError(
              "invalid_request",
              `response_format.json_schema: cannot compile schema: ${(error as Error).message}`,
              { param: "response_format", cause: error },
            );
          }
        });
      }
      default:
        return format satisfies never;
    }
  }

  #get(key: string, create: () => Promise<LlamaGrammar>): Promise<LlamaGrammar> {
    let grammar = this.#grammars.get(key);
    if (!grammar) {
      grammar = create();
      grammar.catch(() => this.#grammars.delete(key));
      if (this.#grammars.size >= LIMIT) {
        const oldest = this.#grammars.keys().next().value;
        if (oldest !== undefined) this.#grammars.delete(oldest);
      }
      this.#grammars.set(key, grammar);
    }
    return grammar;
  }
}
