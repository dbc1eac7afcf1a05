export * from "./sse-codec.js";
