#!/usr/bin/env node
import { runCortex } from "../dist/cortex-main.js";
await runCortex(process.argv.slice(2));
