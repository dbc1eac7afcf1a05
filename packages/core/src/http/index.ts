export * from "./http-server-limits.js";
export * from "./exposure.js";
export * from "./request-hygiene.js";
