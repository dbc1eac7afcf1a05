export * from "./chat-request.js";
export * from "./chat-response.js";
export * from "./chat-stream-event.js";
