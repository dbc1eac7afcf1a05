import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resolveNeuronConfig } from "../src/commands/neuron-serve.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function configFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cortex-neuron-flags-"));
  dirs.push(dir);
  await writeFile(join(dir, "neuron.toml"), text);
  return join(dir, "neuron.toml");
}

describe("neuron serve --models-dir", () => {
  it("puts HF conversions under that folder when cache_dir is not set", async () => {
    const config = await resolveNeuronConfig({
      config: await configFile("threads = 1\n"),
      modelsDir: "/srv/m",
    });
    expect(config).toMatchObject({ modelsDir: "/srv/m", cacheDir: "/srv/m/.cortex-cache" });
  });

  it("keeps a cache_dir the file sets", async () => {
    const config = await resolveNeuronConfig({
      config: await configFile('cache_dir = "/var/cache/cortex"\n'),
      modelsDir: "/srv/m",
    });
    expect(config).toMatchObject({ modelsDir: "/srv/m", cacheDir: "/var/cache/cortex" });
  });
});
