import type { NeuronConfig, NeuronModel } from "@cortex/core";
import type { Engine } from "./engine/engine.js";
import { MemoryBudget } from "./models/memory-budget.js";
import { ModelManager } from "./models/model-manager.js";

export interface ModelsDirReport {
  models: NeuronModel[];
  unsupported: { path: string; reason: string }[];
}

/** What `neuron serve` would offer from models_dir, and why anything else is not offered (`neuron info`). */
export async function describeModelsDir(config: NeuronConfig, engine: Engine): Promise<ModelsDirReport> {
  const manager = new ModelManager({
    modelsDir: config.modelsDir,
    cacheDir: config.cacheDir,
    engine,
    budget: new MemoryBudget({ source: "ram", headroom: 0, device: { total: 0, free: 0 } }),
    defaults: { contextSize: config.contextSize, parallel: config.parallel, gpuLayers: config.gpuLayers },
    overrides: config.models,
    now: Date.now,
    log: () => {},
  });
  await manager.refresh(true);
  return { models: manager.list(), unsupported: [...manager.unsupported] };
}
