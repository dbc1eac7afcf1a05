export {
  convertHfFolder,
  type ConvertHfFolderOptions,
  type ConvertHfFolderResult,
} from "./convert-hf-folder.js";
export { inspectHfFolder, estimateHfMemory, type HfFolderInspection } from "./inspect-hf-folder.js";
export { CONVERT_TARGETS, type ConvertTarget } from "./plan/gguf-tensor-plan.js";
export { HfModelError, isHfModelError } from "./hf-model-error.js";
