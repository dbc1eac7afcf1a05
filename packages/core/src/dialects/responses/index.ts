export * from "./responses-request-schema.js";
export * from "./responses-types.js";
export * from "./responses-tool-names.js";
export * from "./decode-responses-request.js";
export * from "./encode-responses-response.js";
export * from "./create-responses-stream-encoder.js";
export * from "./validate-responses-events.js";
