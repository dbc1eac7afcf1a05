import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { fixtureModel, startHubServer, type HubServer } from "@cortex/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNeuron, type TestNeuron } from "./neuron-harness.js";

const REPO = "cortex-test/tiny-qwen3-GGUF";

let hub: HubServer;
let neuron: TestNeuron;

beforeAll(async () => {
  hub = await startHubServer({
    repos: {
      [REPO]: {
        files: {
          "tiny-qwen3-Q8_0.gguf": await fixtureModel({ arch: "qwen3", quant: "q8_0", ends: true }),
          "tiny-qwen3-F16.gguf": await fixtureModel({ arch: "qwen3", quant: "f16", ends: true }),
        },
      },
      "cortex-test/gated-GGUF": {
        files: { "g-Q8_0.gguf": await fixtureModel({ arch: "llama", quant: "q8_0" }) },
        gated: true,
      },
    },
  });
  neuron = await startTestNeuron({
    models: { "by-hand": { arch: "llama" } },
    env: { HF_ENDPOINT: hub.url },
  });
});
afterAll(async () => {
  await neuron?.stop();
  await hub?.close();
});

async function row(id: string) {
  return (await neuron.models()).models.find((model) => model.id === id);
}

async function del(id: string): Promise<Response> {
  return fetch(`${neuron.url}/models/${encodeURIComponent(id)}`, { method: "DELETE" });
}

describe("neuron pull API", () => {
  it("answers 202 at once, shows the download in /models, then serves the model, and deletes it", async () => {
    const release = hub.stall("tiny-qwen3-Q8_0.gguf", 200_000);
    const response = await neuron.post("/models/pull", { repo: REPO, quant: "q8_0" });
    expect(response.status).toBe(202);
    const { model } = (await response.json()) as { model: Record<string, unknown> };
    const total = hub.file(REPO, "tiny-qwen3-Q8_0.gguf").size;
    expect(model).toMatchObject({
      id: "tiny-qwen3-Q8_0",
      source: "gguf",
      quantization: "Q8_0",
      state: "downloading",
      download: { repo: REPO, revision: hub.commitOf(REPO), bytes_total: total },
    });

    await expect
      .poll(async () => (await row("tiny-qwen3-Q8_0"))?.download?.bytes_done, { timeout: 10_000 })
      .toBe(200_000);
    expect(await row("tiny-qwen3-Q8_0")).toMatchObject({ state: "downloading", progress: 200_000 / total });
    // Not servable, and says why.
    const early = await neuron.post("/models/load", { model: "tiny-qwen3-Q8_0" });
    expect(early.status).toBe(404);
    expect(await early.text()).toMatch(/still being downloaded \(\d+%\)/);
    // Asking again joins the running pull.
    expect((await neuron.post("/models/pull", { repo: REPO, quant: "Q8_0" })).status).toBe(202);

    release();
    await expect
      .poll(async () => (await row("tiny-qwen3-Q8_0"))?.state, { timeout: 10_000 })
      .toBe("unloaded");
    expect((await row("tiny-qwen3-Q8_0"))?.download).toBeUndefined();
    const reply = await neuron.openai.chat.completions.create({
      model: "tiny-qwen3-Q8_0",
      messages: [{ role: "user", content: "Hello" }],
      max_tokens: 4,
    });
    expect(reply.choices[0]?.message.content).toBeTruthy();

    const again = await neuron.post("/models/pull", { repo: REPO, quant: "Q8_0" });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ model: { id: "tiny-qwen3-Q8_0", state: "loaded" } });

    const deleted = await del("tiny-qwen3-Q8_0");
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ model: "tiny-qwen3-Q8_0", deleted: true });
    expect(await row("tiny-qwen3-Q8_0")).toBeUndefined();
    expect(existsSync(join(neuron.dir, "tiny-qwen3-Q8_0.gguf"))).toBe(false);
  });

  it("keeps a failed pull listed with its reason until it is deleted", async () => {
    hub.corrupt("tiny-qwen3-F16.gguf");
    try {
      expect((await neuron.post("/models/pull", { repo: REPO, file: "tiny-qwen3-F16.gguf" })).status).toBe(
        202,
      );
      await expect.poll(async () => (await row("tiny-qwen3-F16"))?.state, { timeout: 10_000 }).toBe("failed");
    } finally {
      hub.corrupt("");
    }
    expect((await row("tiny-qwen3-F16"))?.error).toMatch(/does not match the hub's sha256/);
    expect((await del("tiny-qwen3-F16")).status).toBe(200);
    expect(await row("tiny-qwen3-F16")).toBeUndefined();
    const downloads = await readdir(join(neuron.dir, ".cortex-pulls", "downloads"));
    expect(downloads).toEqual([]);
  });

  it("refuses clearly: a gated repo without HF_TOKEN, no matching quant, deleting a model it did not pull", async () => {
    const gated = await neuron.post("/models/pull", { repo: "cortex-test/gated-GGUF" });
    expect(gated.status).toBe(403);
    expect(await gated.json()).toMatchObject({
      error: { code: "hub_access_denied", message: expect.stringMatching(/set HF_TOKEN on the neuron/) },
    });
    const none = await neuron.post("/models/pull", { repo: REPO, quant: "Q4_K_M" });
    expect(none.status).toBe(400);
    expect(await none.json()).toMatchObject({
      error: { message: `no GGUF in ${REPO} matches Q4_K_M; available: F16, Q8_0` },
    });
    const both = await neuron.post("/models/pull", { repo: REPO, quant: "Q8_0", file: "x.gguf" });
    expect(both.status).toBe(400);
    const mine = await del("by-hand");
    expect(mine.status).toBe(400);
    expect(await mine.json()).toMatchObject({
      error: {
        message: "model by-hand was not pulled by this neuron; remove its files from models_dir by hand",
      },
    });
    expect(existsSync(join(neuron.dir, "by-hand.gguf"))).toBe(true);
  });
});
