import type { TestProject } from "vitest/node";
import { provisionTestTools, type TestTools } from "./test-tools.js";

declare module "vitest" {
  export interface ProvidedContext {
    testTools: TestTools;
  }
}

/**
 * vitest `globalSetup`: before any test file runs, find or install what the suite needs outside the
 * lockfile, one line each on stderr. A tool that cannot be had does not stop the run here; the tests
 * that need it fail with the command that fixes it (nothing is skipped silently).
 */
export async function setup(project: TestProject): Promise<void> {
  const tools = await provisionTestTools((line) => process.stderr.write(`test set-up: ${line}\n`));
  project.provide("testTools", tools);
}
