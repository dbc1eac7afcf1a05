export * from "./error-codes.js";
export * from "./cortex-error.js";
export * from "./from-http-framework-error.js";
