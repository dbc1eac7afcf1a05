import { parseWithSchema } from "../shared/parse-with-schema.js";
import {
  OpenAIEmbeddingsRequestSchema,
  type OpenAIEmbeddingsRequest,
} from "./openai-embeddings-request-schema.js";

/** Validates a `/v1/embeddings` body, naming the bad field in the 400. */
export function parseOpenAIEmbeddingsRequest(body: unknown): OpenAIEmbeddingsRequest {
  return parseWithSchema(OpenAIEmbeddingsRequestSchema, body);
}
