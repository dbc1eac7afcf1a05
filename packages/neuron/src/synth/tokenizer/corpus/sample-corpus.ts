import { SAMPLE_ASSISTANT_GUIDE } from "./sample-assistant-guide.js";
import { SAMPLE_PROSE } from "./sample-prose.js";
import { SAMPLE_SHELL_MARKDOWN } from "./sample-shell-markdown.js";
import { SAMPLE_TOOLS } from "./sample-tool-schemas.js";
import { SAMPLE_TYPESCRIPT } from "./sample-typescript.js";

/**
 * The text the BPE merges are learned from: the kinds of text a coding agent sends (system prompt,
 * tool schemas as pretty and compact JSON, code, shell, markdown) plus everyday English.
 */
export const SAMPLE_CORPUS = [
  SAMPLE_ASSISTANT_GUIDE,
  JSON.stringify(SAMPLE_TOOLS, null, 2),
  SAMPLE_TYPESCRIPT,
  SAMPLE_SHELL_MARKDOWN,
  JSON.stringify(SAMPLE_TOOLS.map((tool) => tool.function)),
  SAMPLE_PROSE,
].join("\n\n");
