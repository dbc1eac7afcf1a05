export { CHROMIUM_FLAGS, findChromium, provisionChromium } from "./chromium.js";
export { CLAUDE_CODE, provisionNpmCli, type NpmCli } from "./npm-tools.js";
export { aptCommand, aptInstall, provisionCommand, which, type Provisioned } from "./system-tools.js";
export { TEST_TOOLS, provisionTestTools, toolPath, type TestToolName, type TestTools } from "./test-tools.js";
