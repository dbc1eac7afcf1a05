import { availableParallelism, freemem, totalmem } from "node:os";
import type { Backend, GpuDevice } from "@cortex/core";
import type { Engine } from "../engine/engine.js";
import { queryNvidiaSmi } from "./query-nvidia-smi.js";

export interface NodeDiscovery {
  backend: Backend;
  gpus: GpuDevice[];
  ramTotal: number;
  ramFree: number;
  cpuThreads: number;
  /** Memory models are placed in: summed VRAM on GPU nodes, RAM on CPU nodes. */
  deviceMemory: { total: number; free: number };
}

export async function discoverNode(engine: Engine): Promise<NodeDiscovery> {
  const found = await engine.discover();
  const ram = { total: totalmem(), free: freemem() };
  let gpus: GpuDevice[] = found.gpus.map((gpu) => ({
    index: gpu.index,
    name: gpu.name,
    vram_total: gpu.vramTotal,
    vram_free: gpu.vramFree,
  }));
  let deviceMemory = found.backend === "cpu" ? ram : found.deviceMemory;
  if (found.backend === "cuda") {
    // nvidia-smi knows per-device numbers; node-llama-cpp only the sum.
    const smi = await queryNvidiaSmi();
    if (smi) {
      gpus = smi.map((gpu) => ({
        index: gpu.index,
        name: gpu.name,
        vram_total: gpu.vramTotal,
        vram_free: gpu.vramFree,
      }));
      deviceMemory = {
        total: smi.reduce((sum, gpu) => sum + gpu.vramTotal, 0),
        free: smi.reduce((sum, gpu) => sum + gpu.vramFree, 0),
      };
    }
  }
  return {
    backend: found.backend,
    gpus,
    ramTotal: ram.total,
    ramFree: ram.free,
    cpuThreads: availableParallelism(),
    deviceMemory,
  };
}
