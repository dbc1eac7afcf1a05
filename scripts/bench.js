#!/usr/bin/env node
// `node scripts/bench.js [neuron|gateway|kv|all] [flags]`: runs the compiled bench (packages/testkit/src/bench,
// built by `npm run build`). See docs/benchmarks.md.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../packages/testkit/dist/bench/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error(`bench: ${fileURLToPath(main)} is missing; run \`npm run build\` first`);
  process.exit(1);
}
await import(main.href);
