export * from "./spawn-listening.js";
