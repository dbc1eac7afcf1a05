export * from "./error-codes.js";
export * from "./cortex-error.js";
