import { LlamaCompletion, type Llama, type Token } from "node-llama-cpp";

export const PROMPT = "Hello there, how are you?";

/** Greedy tokens of a fresh context: the comparison the equivalence tests make. */
export async function greedyTokens(llama: Llama, modelPath: string, maxTokens = 24): Promise<Token[]> {
  const model = await llama.loadModel({ modelPath });
  try {
    const context = await model.createContext({ contextSize: 512, threads: 1 });
    const tokens: Token[] = [];
    await new LlamaCompletion({ contextSequence: context.getSequence() }).generateCompletion(PROMPT, {
      maxTokens,
      temperature: 0,
      onToken: (chunk) => void tokens.push(...chunk),
    });
    await context.dispose();
    return tokens;
  } finally {
    await model.dispose();
  }
}
