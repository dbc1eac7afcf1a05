export interface EmbeddingsResult {
  model: string;
  embeddings: readonly (readonly number[] | Float32Array)[];
  promptTokens: number;
  /** `base64` is the openai JS SDK's default; Zed sends nothing and wants float arrays. */
  encodingFormat?: "float" | "base64" | null;
}

export interface OpenAIEmbeddingsResponseBody {
  object: "list";
  data: { object: "embedding"; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** Vectors → `/v1/embeddings` response (docs/api-spec.md §2.6). */
export function encodeOpenAIEmbeddingsResponse(result: EmbeddingsResult): OpenAIEmbeddingsResponseBody {
  const base64 = result.encodingFormat === "base64";
  return {
    object: "list",
    data: result.embeddings.map((vector, index) => ({
      object: "embedding",
      index,
      embedding: base64 ? float32Base64(vector) : Array.from(vector),
    })),
    model: result.model,
    usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
  };
}

/** Little-endian float32, whatever the host's byte order: that is what the SDK decodes. */
function float32Base64(vector: readonly number[] | Float32Array): string {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  vector.forEach((value, index) => view.setFloat32(index * 4, value, true));
  return Buffer.from(bytes).toString("base64");
}
