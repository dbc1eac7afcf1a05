import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

export interface DemoModel {
  id: string;
  arch: "llama" | "qwen3" | "qwen3moe";
}

/** One small model per supported architecture; `--ends` so replies finish like a real model's. */
export const DEMO_MODELS: readonly DemoModel[] = [
  { id: "qwen3-tiny", arch: "qwen3" },
  { id: "llama-tiny", arch: "llama" },
  { id: "qwen3moe-tiny", arch: "qwen3moe" },
];

export function demoDir(): string {
  const base =
    process.env.CORTEX_DEMO_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "cortex");
  return join(base, "demo-models");
}

/** Generates the demo models on first run (later runs find them) and returns the folder to serve. */
export async function ensureDemoModels(dir: string, log: (line: string) => void): Promise<string> {
  await mkdir(dir, { recursive: true });
  const { synthModel, SYNTH_FORMAT_VERSION } = await import("@cortex/neuron/synth");
  // A generator change writes new files beside the old ones: a stale cache is never served.
  const versionDir = join(dir, `v${SYNTH_FORMAT_VERSION}`);
  await mkdir(versionDir, { recursive: true });
  for (const model of DEMO_MODELS) {
    const out = join(versionDir, `${model.id}.gguf`);
    if (existsSync(out)) continue;
    log(`generating demo model ${model.id} (${model.arch}) …`);
    await synthModel({ arch: model.arch, size: "tiny", quant: "f16", ends: true, format: "gguf", out });
  }
  return versionDir;
}
