export * from "./openai-message-schema.js";
export * from "./openai-chat-request-schema.js";
export * from "./openai-completion-request-schema.js";
export * from "./openai-embeddings-request-schema.js";
export * from "./decode-openai-chat-request.js";
export * from "./encode-openai-chat-request.js";
export * from "./encode-openai-chat-response.js";
export * from "./decode-openai-chat-response.js";
export * from "./create-openai-chunk-encoder.js";
export * from "./create-openai-stream-decoder.js";
export {
  mapOpenAIFinishReason,
  toOpenAIFinishReason,
  type OpenAIFinishReason,
} from "./map-openai-finish-reason.js";
export * from "./map-openai-tool-choice.js";
export * from "./map-openai-error-type.js";
export * from "./render-openai-error.js";
export * from "./decode-openai-error.js";
export * from "./openai-usage.js";
export * from "./encode-openai-completion-response.js";
export * from "./create-openai-completion-chunk-encoder.js";
export * from "./encode-openai-embeddings-response.js";
export * from "./parse-openai-completion-request.js";
