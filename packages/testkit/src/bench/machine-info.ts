import { cpus, totalmem } from "node:os";

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

export function describeMachine(info: MachineInfo): string {
  return `${info.cpus} vCPU ${info.cpuModel}, ${info.memoryGiB} GiB RAM, no GPU used, Node ${info.node}, ${info.platform}`;
}
