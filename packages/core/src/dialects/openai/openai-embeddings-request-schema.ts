import { z } from "zod";
import { parseWithSchema } from "../shared/parse-with-schema.js";

/** `/v1/embeddings`. The openai JS SDK sends `encoding_format:"base64"` by default; Zed sends none. */
export const OpenAIEmbeddingsRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([
    z.string(),
    z.array(z.string()).min(1),
    z.array(z.number().int()).min(1),
    z.array(z.array(z.number().int())).min(1),
  ]),
  encoding_format: z.enum(["float", "base64"]).nullish(),
  dimensions: z.number().int().min(1).nullish(),
  user: z.string().nullish(),
});
export type OpenAIEmbeddingsRequest = z.infer<typeof OpenAIEmbeddingsRequestSchema>;

/** Validates a `/v1/embeddings` body, naming the bad field in the 400. */
export function parseOpenAIEmbeddingsRequest(body: unknown): OpenAIEmbeddingsRequest {
  return parseWithSchema(OpenAIEmbeddingsRequestSchema, body);
}
