import { existsSync } from "node:fs";
import { chmod, writeFile } from "node:fs/promises";
import { totalmem } from "node:os";
import { delimiter, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { discoverNode } from "../../src/discovery/discover-node.js";
import { FakeEngine } from "../../src/engine/fake/fake-engine.js";
import { useTempDirs } from "./support/temp-dir.js";

const MiB = 1024 * 1024;
const ENGINE_GPUS = [
  { index: 0, name: "CUDA0", vramTotal: 24 * 1024 * MiB, vramFree: 24 * 1024 * MiB },
  { index: 1, name: "CUDA1", vramTotal: 24 * 1024 * MiB, vramFree: 24 * 1024 * MiB },
];

describe("discoverNode", () => {
  const tempDir = useTempDirs("nvidia-smi");
  const originalPath = process.env.PATH;
  afterEach(() => {
    process.env.PATH = originalPath;
  });

  /**
   * Puts an `nvidia-smi` on PATH that answers only the exact query discovery makes. Returns the path of a
   * file the script creates when it runs.
   */
  async function fakeNvidiaSmi(output: string, exitCode = 0): Promise<string> {
    const dir = await tempDir();
    await writeFile(join(dir, "output.txt"), output);
    const script = [
      "#!/bin/sh",
      'here="$(dirname "$0")"',
      'touch "$here/called"',
      'if [ "$1" != "--query-gpu=index,name,memory.total,memory.free" ] || [ "$2" != "--format=csv,noheader,nounits" ]; then',
      '  echo "unexpected arguments: $*" >&2; exit 2',
      "fi",
      'cat "$here/output.txt"',
      `exit ${exitCode}`,
    ].join("\n");
    await writeFile(join(dir, "nvidia-smi"), `${script}\n`);
    await chmod(join(dir, "nvidia-smi"), 0o755);
    process.env.PATH = `${dir}${delimiter}${originalPath ?? ""}`;
    return join(dir, "called");
  }

  it("takes per-GPU names and VRAM from nvidia-smi on a CUDA node", async () => {
    const called = await fakeNvidiaSmi(
      "0, NVIDIA GeForce RTX 4090, 24564, 23012\n1, NVIDIA GeForce RTX 3090, 24576, 1024\n",
    );
    const found = await discoverNode(new FakeEngine({ backend: "cuda", gpus: ENGINE_GPUS }));
    expect(found.backend).toBe("cuda");
    expect(found.gpus).toEqual([
      { index: 0, name: "NVIDIA GeForce RTX 4090", vram_total: 24564 * MiB, vram_free: 23012 * MiB },
      { index: 1, name: "NVIDIA GeForce RTX 3090", vram_total: 24576 * MiB, vram_free: 1024 * MiB },
    ]);
    expect(found.deviceMemory).toEqual({ total: (24564 + 24576) * MiB, free: (23012 + 1024) * MiB });
    expect(existsSync(called)).toBe(true);
  });

  it("falls back to the engine's numbers when nvidia-smi fails", async () => {
    await fakeNvidiaSmi("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n", 9);
    const found = await discoverNode(new FakeEngine({ backend: "cuda", gpus: ENGINE_GPUS }));
    expect(found.gpus.map((gpu) => gpu.name)).toEqual(["CUDA0", "CUDA1"]);
    expect(found.deviceMemory).toEqual({ total: 48 * 1024 * MiB, free: 48 * 1024 * MiB });
  });

  it("falls back to the engine's numbers when nvidia-smi is not installed", async () => {
    process.env.PATH = await tempDir();
    const found = await discoverNode(new FakeEngine({ backend: "cuda", gpus: ENGINE_GPUS }));
    expect(found.gpus.map((gpu) => gpu.name)).toEqual(["CUDA0", "CUDA1"]);
  });

  it("places models in RAM on a CPU node and never asks nvidia-smi", async () => {
    const called = await fakeNvidiaSmi("0, Should Not Appear, 1, 1\n");
    const found = await discoverNode(new FakeEngine({ backend: "cpu" }));
    expect(found.gpus).toEqual([]);
    expect(found.deviceMemory.total).toBe(totalmem());
    expect(found.deviceMemory.free).toBeGreaterThan(0);
    expect(found.deviceMemory.free).toBeLessThanOrEqual(totalmem());
    expect(found.cpuThreads).toBeGreaterThan(0);
    expect(existsSync(called)).toBe(false);
  });
});
