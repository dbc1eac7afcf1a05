import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";

/** One CPU llama per test file, single-threaded (docs/node-llama-cpp.md §7.4), with llama.cpp warnings collected. */
export async function testLlama(): Promise<{ llama: Llama; warnings: string[] }> {
  const warnings: string[] = [];
  const llama = await getLlama({
    gpu: false,
    build: "never",
    maxThreads: 1,
    logLevel: LlamaLogLevel.warn,
    logger: (level, message) => {
      if (level === LlamaLogLevel.warn || level === LlamaLogLevel.error) warnings.push(message);
    },
  });
  return { llama, warnings };
}

export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "cortex-synth-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const PRINTABLE = /^[\x20-\x7e\n]*$/;
