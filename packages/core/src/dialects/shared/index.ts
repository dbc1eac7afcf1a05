export { asRecord, type NewId, type Translation } from "./translation.js";
export * from "./rendered-error.js";
export * from "./fold-system-messages.js";
export * from "./merge-adjacent-messages.js";
export { formatIssuePath } from "./parse-with-schema.js";
export * from "./reasoning-effort.js";
export * from "./stop-sequences.js";
