export * from "./translation.js";
export * from "./rendered-error.js";
export * from "./fold-system-messages.js";
export * from "./merge-adjacent-messages.js";
export * from "./format-issue-path.js";
export * from "./reasoning-effort.js";
export * from "./stop-sequences.js";
export * from "./as-record.js";
