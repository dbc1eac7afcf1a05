import type { SampleTool } from "./sample-tool-builders.js";
import { SAMPLE_FILE_TOOLS } from "./sample-tools-files.js";
import { SAMPLE_WORKFLOW_TOOLS } from "./sample-tools-workflow.js";

export type { SampleTool } from "./sample-tool-builders.js";

/**
 * Twenty-four tool definitions in the OpenAI function format, written for this project in the style of
 * what coding agents send. They are part of the tokenizer sample and let tests build realistic requests.
 */
export const SAMPLE_TOOLS: readonly SampleTool[] = [...SAMPLE_FILE_TOOLS, ...SAMPLE_WORKFLOW_TOOLS];
