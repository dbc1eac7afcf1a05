export * from "./http-server-limits.js";
