export * from "./canonical/index.js";
export * from "./config/index.js";
export * from "./errors/index.js";
export * from "./protocol/index.js";
export * from "./sse/index.js";
export * from "./process/index.js";
export * from "./http/index.js";
export * from "./dialects/index.js";
