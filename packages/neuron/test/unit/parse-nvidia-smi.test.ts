import { describe, expect, it } from "vitest";
import { parseNvidiaSmi } from "../../src/discovery/parse-nvidia-smi.js";

const MiB = 1024 * 1024;

// Captured from `nvidia-smi --query-gpu=index,name,memory.total,memory.free --format=csv,noheader,nounits`.
describe("parseNvidiaSmi", () => {
  it("reads one GPU, MiB → bytes", () => {
    expect(parseNvidiaSmi("0, NVIDIA GeForce RTX 4090, 24564, 23012\n")).toEqual([
      { index: 0, name: "NVIDIA GeForce RTX 4090", vramTotal: 24564 * MiB, vramFree: 23012 * MiB },
    ]);
  });

  it("reads several GPUs, with CRLF line ends", () => {
    const output = [
      "0, NVIDIA A100-SXM4-80GB, 81920, 81037",
      "1, NVIDIA A100-SXM4-80GB, 81920, 2311",
      "2, NVIDIA RTX A6000, 49140, 48669",
      "",
    ].join("\r\n");
    expect(parseNvidiaSmi(output).map((gpu) => [gpu.index, gpu.name, gpu.vramFree / MiB])).toEqual([
      [0, "NVIDIA A100-SXM4-80GB", 81037],
      [1, "NVIDIA A100-SXM4-80GB", 2311],
      [2, "NVIDIA RTX A6000", 48669],
    ]);
  });

  it("keeps commas inside a GPU name", () => {
    expect(parseNvidiaSmi("3, Tesla V100-SXM2-32GB, rev 2, 32768, 32510")[0]).toMatchObject({
      index: 3,
      name: "Tesla V100-SXM2-32GB, rev 2",
    });
  });

  it("skips lines that are not GPU rows", () => {
    const output = [
      "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.",
      "No devices were found",
      "0, NVIDIA A100-SXM4-40GB MIG 1g.5gb, [N/A], [N/A]",
      "index, name, memory.total [MiB], memory.free [MiB]",
      "1, NVIDIA L4, 23034, 22700",
      "",
    ].join("\n");
    expect(parseNvidiaSmi(output)).toEqual([
      { index: 1, name: "NVIDIA L4", vramTotal: 23034 * MiB, vramFree: 22700 * MiB },
    ]);
  });

  it("returns nothing for empty output", () => {
    expect(parseNvidiaSmi("")).toEqual([]);
  });
});
