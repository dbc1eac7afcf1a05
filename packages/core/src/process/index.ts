export * from "./spawn-listening.js";
export * from "./process-alive.js";
