export * from "./encode-sse-data.js";
export * from "./encode-sse-event.js";
export * from "./sse-done.js";
export * from "./sse-message.js";
export * from "./sse-parser.js";
export * from "./read-sse-messages.js";
