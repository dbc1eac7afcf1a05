import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findChromium, provisionCommand, toolPath, type TestTools } from "../src/provision/index.js";
import { lastLine } from "../src/provision/system-tools.js";

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe("test tool provisioning", () => {
  it("a tool that could not be had fails the test that needs it with the one line that fixes it", () => {
    const tools = {
      chromium: { ok: false, fix: "chromium not found; fix: sudo apt-get install -y chromium" },
      "claude-code": { ok: true, path: "/x/claude", how: "cached" },
      codex: { ok: true, path: "/x/codex.js", how: "installed" },
      rpmbuild: { ok: true, path: "/usr/bin/rpmbuild", how: "found on PATH" },
    } satisfies TestTools;
    expect(() => toolPath(tools, "chromium")).toThrow(
      "chromium not found; fix: sudo apt-get install -y chromium",
    );
    expect(toolPath(tools, "claude-code")).toBe("/x/claude");
    expect(() => toolPath(undefined, "chromium")).toThrow(/npm test/);
  });

  it("finds a browser on PATH before installing anything", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cortex-provision-"));
    try {
      const browser = join(dir, "chromium");
      await writeFile(browser, "#!/bin/sh\n");
      await chmod(browser, 0o755);
      delete process.env.CORTEX_TEST_CHROMIUM;
      process.env.PLAYWRIGHT_BROWSERS_PATH = join(dir, "no-playwright-browsers");
      process.env.PATH = dir;
      expect(findChromium()).toEqual({ path: browser, how: "system browser" });
      process.env.CORTEX_TEST_CHROMIUM = "/opt/my/chrome";
      expect(findChromium()).toEqual({ path: "/opt/my/chrome", how: "from CORTEX_TEST_CHROMIUM" });
      // A command already on PATH is used as it is.
      process.env.PATH = dir;
      expect(await provisionCommand("chromium", "chromium")).toEqual({
        ok: true,
        path: browser,
        how: "found on PATH",
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reports the error line of a failed install, not its stack", () => {
    const stderr = [
      "Downloading Chrome for Testing …",
      "Error: getaddrinfo ENOTFOUND cdn.playwright.dev",
      "    at ChildProcess.<anonymous> (/x/coreBundle.js:1:1)",
    ].join("\n");
    expect(lastLine(stderr)).toBe("Error: getaddrinfo ENOTFOUND cdn.playwright.dev");
    expect(lastLine("E: Unable to locate package chromium\n")).toBe("E: Unable to locate package chromium");
    expect(lastLine("one\ntwo\n")).toBe("two");
  });
});
