export * from "./shared/index.js";
export * from "./openai/index.js";
export * from "./anthropic/index.js";
export * from "./responses/index.js";
