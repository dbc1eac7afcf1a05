import { inject } from "vitest";
import { toolPath, type TestToolName } from "./test-tools.js";
import "./vitest-setup.js";

/** Inside a test: the path of a tool the global set-up provisioned, or the error that says how to get it. */
export function testTool(name: TestToolName): string {
  return toolPath(inject("testTools"), name);
}
