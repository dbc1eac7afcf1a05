/** `@cortex/testkit/fuzz`: fast-check arbitraries for property tests of the wire formats. */
export * from "./fuzz-runs.js";
export * from "./property-test.js";
export * from "./hostile-json.js";
export * from "./mutate.js";
export * from "./request-parts.js";
export * from "./openai-requests.js";
export * from "./anthropic-requests.js";
export * from "./http-requests.js";
export * from "./http-answer.js";
export * from "./responses-requests.js";
