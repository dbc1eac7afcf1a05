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

/** Bump when the generator changes so old demo files are not served by a newer cortex. */
const DEMO_VERSION = "v1";

export function demoDir(): string {
  const base =
    process.env.CORTEX_DEMO_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "cortex");
  return join(base, `demo-models-${DEMO_VERSION}`);
}

/** Generates the demo models on first run; later runs find them in the cache folder. */
export async function ensureDemoModels(dir: string, log: (line: string) => void): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { synthModel } = await import("@cortex/neuron/synth/index");
  for (const model of DEMO_MODELS) {
    const out = join(dir, `${model.id}.gguf`);
    if (existsSync(out)) continue;
    log(`generating demo model ${model.id} (${model.arch}) …`);
    await synthModel({ arch: model.arch, size: "tiny", quant: "f16", ends: true, format: "gguf", out });
  }
}
