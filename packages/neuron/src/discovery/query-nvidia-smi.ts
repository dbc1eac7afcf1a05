import { execFile } from "node:child_process";
import { parseNvidiaSmi, type NvidiaGpu } from "./parse-nvidia-smi.js";

const QUERY = ["--query-gpu=index,name,memory.total,memory.free", "--format=csv,noheader,nounits"];

/** Per-device VRAM from nvidia-smi when it is on PATH; null when it is absent or fails. */
export function queryNvidiaSmi(timeoutMs = 3000): Promise<NvidiaGpu[] | null> {
  return new Promise((resolve) => {
    execFile("nvidia-smi", QUERY, { timeout: timeoutMs }, (error, stdout) => {
      if (error) return resolve(null);
      const gpus = parseNvidiaSmi(stdout);
      resolve(gpus.length > 0 ? gpus : null);
    });
  });
}
