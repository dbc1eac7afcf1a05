import { provisionChromium } from "./chromium.js";
import { CLAUDE_CODE, CODEX, provisionNpmCli } from "./npm-tools.js";
import { provisionCommand, type Provisioned } from "./system-tools.js";

/**
 * Everything outside the lockfile that the test suite needs, provisioned once per `npm test` by the
 * vitest global set-up (vitest-setup.ts) and handed to the tests that use it (`testTool`). Add a tool
 * here, not in a test's own beforeAll, so the run reports it in one line and installs it once.
 */
export const TEST_TOOLS = {
  chromium: provisionChromium,
  "claude-code": (report: (line: string) => void) => provisionNpmCli(CLAUDE_CODE, report),
  codex: (report: (line: string) => void) => provisionNpmCli(CODEX, report),
  // Debian's rpm package brings rpmbuild, rpm and rpm2archive (the packaging test uses all three).
  rpmbuild: () => provisionCommand("rpmbuild", "rpm"),
} satisfies Record<string, (report: (line: string) => void) => Promise<Provisioned>>;

export type TestToolName = keyof typeof TEST_TOOLS;
export type TestTools = Record<TestToolName, Provisioned>;

/** Provisions every tool in turn (two apt installs must not race) and reports one line for each. */
export async function provisionTestTools(report: (line: string) => void): Promise<TestTools> {
  const tools: Partial<TestTools> = {};
  for (const [name, provision] of Object.entries(TEST_TOOLS) as [
    TestToolName,
    (typeof TEST_TOOLS)[TestToolName],
  ][]) {
    const started = Date.now();
    let result: Provisioned;
    try {
      result = await provision(report);
    } catch (error) {
      result = { ok: false, fix: `${name}: ${error instanceof Error ? error.message : String(error)}` };
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    report(
      result.ok
        ? `${name}: ${result.path} (${result.how}, ${seconds} s)`
        : `${name}: UNAVAILABLE — ${result.fix}`,
    );
    tools[name] = result;
  }
  return tools as TestTools;
}

/** The provisioned path of `name`, or an error carrying the one command that fixes its absence. */
export function toolPath(tools: TestTools | undefined, name: TestToolName): string {
  const tool = tools?.[name];
  if (tool === undefined)
    throw new Error(`${name} was not provisioned: run the tests through the root vitest config (npm test)`);
  if (!tool.ok) throw new Error(tool.fix);
  return tool.path;
}
