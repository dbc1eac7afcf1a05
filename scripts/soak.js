#!/usr/bin/env node
// `npm run test:soak` (builds first): runs the compiled soak (packages/testkit/src/soak). See
// docs/reliability.md.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../packages/testkit/dist/soak/soak-main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error(`soak: ${fileURLToPath(main)} is missing; run \`npm run build\` first`);
  process.exit(1);
}
await import(main.href);
