import { spawn } from "node:child_process";
import { once } from "node:events";
import { readdir, rm, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCortexConfig, parseModelsConfig, type SpawnedProcess } from "@cortex/core";
import { startGateway, type RunningGateway } from "@cortex/gateway";
import { fixtureModel, spawnNeuron, startHubServer, type HubServer } from "@cortex/testkit";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCortex } from "../src/cortex-main.js";
import type { CortexIo } from "../src/cortex-io.js";
import { cliEnv } from "./cli-fixture.js";

const NEURON_BIN = fileURLToPath(new URL("../bin/neuron.js", import.meta.url));
const GGUF_REPO = "cortex-test/tiny-llama-GGUF";
const SPLIT_REPO = "cortex-test/tiny-qwen3-GGUF";
const HF_REPO = "cortex-test/tiny-qwen3moe";

let hub: HubServer;
let modelsDir: string;
let neuron: SpawnedProcess | undefined;
let gateway: RunningGateway | undefined;

/** The files of a generated folder (split set or HF checkpoint) keyed by their names in the repo. */
async function folderFiles(dir: string, rename: (name: string) => string = (name) => name) {
  const names = await readdir(dir);
  return Object.fromEntries(names.map((name) => [rename(name), join(dir, name)]));
}

beforeAll(async () => {
  const split = await fixtureModel({ arch: "qwen3", splits: 3, ends: true });
  const hf = await fixtureModel({ arch: "qwen3moe", format: "hf", shards: 2 });
  hub = await startHubServer({
    repos: {
      [GGUF_REPO]: {
        files: {
          "tiny-llama-Q8_0.gguf": await fixtureModel({ arch: "llama", quant: "q8_0", ends: true }),
          "tiny-llama-F16.gguf": await fixtureModel({ arch: "llama", quant: "f16", ends: true }),
          "README.md": Buffer.from("# tiny llama\n"),
        },
      },
      [SPLIT_REPO]: { files: await folderFiles(split, (name) => name.replace("model-", "tiny-qwen3-F32-")) },
      [HF_REPO]: { files: await folderFiles(hf) },
      "cortex-test/gated-GGUF": {
        files: { "g-Q8_0.gguf": await fixtureModel({ arch: "llama", quant: "q8_0" }) },
        gated: true,
      },
    },
  });
  modelsDir = await mkdtemp(join(tmpdir(), "cortex-pull-e2e-"));
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await neuron?.stop();
  await hub?.close();
  if (modelsDir) await rm(modelsDir, { recursive: true, force: true });
});

async function neuronPull(model: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [NEURON_BIN, "pull", model, "--models-dir", modelsDir], {
    env: cliEnv({ HF_ENDPOINT: hub.url }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (data: Buffer) => (stdout += data.toString()));
  child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stdout, stderr };
}

async function chat(model: string): Promise<string> {
  const response = await fetch(`${gateway?.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, max_tokens: 6, messages: [{ role: "user", content: "Hello" }] }),
  });
  const body = (await response.json()) as { choices?: { message: { content: string } }[] };
  if (!response.ok) throw new Error(`${model}: ${response.status} ${JSON.stringify(body)}`);
  return body.choices?.[0]?.message.content ?? "";
}

/** A terminal for `cortex`: output collected, `onStderr` sees every write. */
function terminal(onStderr: (text: string) => void): {
  io: CortexIo;
  stdout: () => string;
  stderr: () => string;
} {
  let stdout = "";
  let stderr = "";
  return {
    io: {
      env: {},
      stdout: { write: (text) => void (stdout += text), isTTY: false },
      stderr: {
        write: (text) => {
          stderr += text;
          onStderr(text);
        },
        isTTY: true,
      },
      onInterrupt: () => () => {},
    },
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

describe("models pulled from a Hugging Face hub become servable through the gateway", () => {
  it("neuron pull: a GGUF by quant, a split GGUF, a safetensors folder", async () => {
    expect(await neuronPull(`${GGUF_REPO}:q8_0`)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(
        new RegExp(`^pulled ${GGUF_REPO}:Q8_0 as tiny-llama-Q8_0 \\(gguf, 1 file, `),
      ),
    });
    expect(await neuronPull(SPLIT_REPO)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/as tiny-qwen3-F32 \(gguf, 3 files, /),
    });
    expect(await neuronPull(HF_REPO)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/as tiny-qwen3moe \(safetensors, \d+ files, /),
    });
    expect(await neuronPull(`${GGUF_REPO}:Q4_K_M`)).toMatchObject({
      code: 1,
      stderr: `error: no GGUF in ${GGUF_REPO} matches Q4_K_M; available: F16, Q8_0\n`,
    });

    await writeFile(
      join(modelsDir, "neuron.toml"),
      'name = "alpha"\ncontext_size = 512\nparallel = 1\nthreads = 1\n',
    );
    neuron = await spawnNeuron({
      modelsDir,
      config: join(modelsDir, "neuron.toml"),
      env: { HF_ENDPOINT: hub.url },
    });
    const config = parseCortexConfig(
      [
        "[gateway]",
        'listen = "127.0.0.1:0"',
        'metrics_listen = "127.0.0.1:0"',
        "[fleet]",
        'poll_interval = "100ms"',
        "[[neurons]]",
        'name = "alpha"',
        `endpoint = "${neuron.url}"`,
      ].join("\n"),
      "cortex.toml",
      process.cwd(),
    );
    gateway = await startGateway({
      config,
      models: parseModelsConfig("", "models.toml", process.cwd()),
      logger: pino({ level: "silent" }),
    });
    for (const model of ["tiny-llama-Q8_0", "tiny-qwen3-F32", "tiny-qwen3moe"]) {
      expect(await chat(model)).not.toBe("");
    }
  });

  it("cortex pull --node shows the download's progress, then the model is served; cortex delete removes it", async () => {
    let release: (() => void) | undefined = hub.stall("tiny-llama-F16.gguf", 300_000);
    const cli = terminal((text) => {
      // Let the download finish once the bar has shown the bytes that arrived.
      if (release && /\[#+-*\] \d+% 293 KiB \//.test(text)) {
        release();
        release = undefined;
      }
    });
    await runCortex(["pull", `${GGUF_REPO}:F16`, "--node", "alpha", "--gateway", gateway?.url ?? ""], cli.io);
    expect(process.exitCode ?? 0).toBe(0);
    expect(release).toBeUndefined();
    expect(cli.stderr()).toMatch(new RegExp(`${GGUF_REPO}:F16 \\[#+-*\\] \\d+% 293 KiB / `));
    expect(cli.stdout()).toMatch(/^pulled cortex-test\/tiny-llama-GGUF:F16 as tiny-llama-F16 on alpha \(/);
    expect(await chat("tiny-llama-F16")).not.toBe("");

    const removed = terminal(() => {});
    await runCortex(
      ["delete", "tiny-llama-F16", "--node", "alpha", "--gateway", gateway?.url ?? ""],
      removed.io,
    );
    expect(removed.stdout()).toBe("deleted tiny-llama-F16 from alpha\n");
    expect((await readdir(modelsDir)).filter((name) => name.startsWith("tiny-llama-F16"))).toEqual([]);
  });

  it("cortex pull passes on what the node's hub said: a gated repo needs HF_TOKEN on that node", async () => {
    const cli = terminal(() => {});
    await runCortex(
      ["pull", "cortex-test/gated-GGUF", "--node", "alpha", "--gateway", gateway?.url ?? ""],
      cli.io,
    );
    expect(process.exitCode).toBe(1);
    process.exitCode = 0;
    expect(cli.stderr()).toMatch(/^error: cortex-test\/gated-GGUF is gated: set HF_TOKEN on the neuron /);
  });
});
