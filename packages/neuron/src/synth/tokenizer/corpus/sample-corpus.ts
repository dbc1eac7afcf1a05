import { SAMPLE_ASSISTANT_GUIDE } from "./sample-assistant-guide.js";
import { SAMPLE_PROSE } from "./sample-prose.js";
import { SAMPLE_SHELL_MARKDOWN } from "./sample-shell-markdown.js";
import type { SampleTool } from "./sample-tool-builders.js";
import { SAMPLE_FILE_TOOLS } from "./sample-tools-files.js";
import { SAMPLE_WORKFLOW_TOOLS } from "./sample-tools-workflow.js";
import { SAMPLE_TYPESCRIPT } from "./sample-typescript.js";

export type { SampleTool } from "./sample-tool-builders.js";

/**
 * Twenty-four tool definitions in the OpenAI function format, written for this project in the style of
 * what coding agents send. They are part of the tokenizer sample and let tests build realistic requests.
 */
export const SAMPLE_TOOLS: readonly SampleTool[] = [...SAMPLE_FILE_TOOLS, ...SAMPLE_WORKFLOW_TOOLS];

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
