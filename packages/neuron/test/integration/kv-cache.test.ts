import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeOpenAIChatRequest, prefixFingerprints } from "@cortex/core";
import { writeStateFile, type StateIdentity } from "../../src/kv-cache/kv-state-file.js";
import { startTestNeuron, type TestNeuron } from "./neuron-harness.js";

/** One sequence per model, so every new conversation takes the sequence away from the previous one. */
const CONFIG = (kv: string) =>
  [
    "context_size = 2048",
    "parallel = 1",
    "threads = 1",
    "batch_threads = 1",
    "[kv_cache]",
    kv,
    "min_tokens = 64",
    // What is under test is which states may be restored, not whether a restore beats the tiny model's
    // prefill (which it barely does): restore whenever the tier has a prefix worth it.
    'restore = "always"',
    "",
  ].join("\n");

type Message = { role: "user" | "assistant"; content: string };

/** A conversation opening of a few hundred tokens that shares nothing with another topic's. */
function opening(topic: string): Message[] {
  return [{ role: "user", content: `${topic}: ${`tell me about ${topic} and its history `.repeat(40)}` }];
}

function followUp(topic: string): Message[] {
  return [
    ...opening(topic),
    { role: "assistant", content: "It is long." },
    { role: "user", content: "Go on." },
  ];
}

async function chat(neuron: TestNeuron, model: string, messages: Message[]) {
  const completion = await neuron.openai.chat.completions.create({ model, messages, max_tokens: 2 });
  return {
    prompt: completion.usage?.prompt_tokens ?? 0,
    cached: completion.usage?.prompt_tokens_details?.cached_tokens ?? 0,
  };
}

async function kvOf(neuron: TestNeuron, model: string) {
  const listed = (await neuron.models()).models.find((entry) => entry.id === model);
  return listed?.kv_cache;
}

/** The request's deepest prefix fingerprint, as the neuron (and a gateway) computes it. */
function fingerprint(messages: Message[]): string {
  const chain = prefixFingerprints(decodeOpenAIChatRequest({ model: "any", messages }).value);
  return chain.at(-1) ?? "";
}

/** The tier files a save in the background: wait until the state of `messages` is in the tier. */
async function waitForSaved(neuron: TestNeuron, model: string, messages: Message[]): Promise<void> {
  const fp = fingerprint(messages);
  for (;;) {
    const listed = (await neuron.models()).models.find((entry) => entry.id === model);
    if (listed?.prefixes?.prefixes.some((item) => item.fp === fp && item.where !== "sequence")) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Opens `topic`, then another conversation, which takes the sequence and files `topic` in the tier. */
async function openAndPushAside(neuron: TestNeuron, model: string, topic: string) {
  const first = await chat(neuron, model, opening(topic));
  await chat(neuron, model, opening(`other than ${topic}`));
  await waitForSaved(neuron, model, opening(topic));
  return first;
}

describe("KV state tier in RAM", () => {
  let neuron: TestNeuron;
  beforeAll(async () => {
    neuron = await startTestNeuron({
      models: {
        llama: { arch: "llama", quant: "f16" },
        // The same shapes with other weights: llama.cpp would load one's state into the other silently.
        twin: { arch: "llama", quant: "f16", seed: 7 },
      },
      config: CONFIG(`ram = "64MiB"\ndisk = "0"`),
    });
  });
  afterAll(async () => {
    await neuron?.stop();
  });

  it("saves a conversation its sequence is taken from and restores it for the next turn", async () => {
    const first = await openAndPushAside(neuron, "llama", "rivers");

    const next = await chat(neuron, "llama", followUp("rivers"));
    // Without the tier the only sequence holds "mountains": a handful of template tokens in common.
    expect(next.cached).toBeGreaterThanOrEqual(first.prompt - 8);
    // The two openings needed their prefix and had none saved: misses.
    expect(await kvOf(neuron, "llama")).toMatchObject({ hits: 1, misses: 2, hit_ratio: 1 / 3 });
    // The restored state went to the sequence; the conversation it displaced is the tier's one entry.
    await waitForSaved(neuron, "llama", opening("other than rivers"));
    const kv = await kvOf(neuron, "llama");
    expect(kv).toMatchObject({ entries: 1, disk_bytes: 0 });
    expect(kv?.ram_bytes).toBeGreaterThan(0);
    expect(await neuron.metric("cortex_neuron_kv_cache_bytes", { where: "ram" })).toBe(kv?.ram_bytes);
    expect(
      await neuron.metric("cortex_neuron_kv_cache_lookups_total", { model: "llama", result: "hit" }),
    ).toBe(1);
    expect(await neuron.metric("cortex_neuron_kv_cache_restore_seconds_count", { from: "ram" })).toBe(1);
  });

  it("never offers a model's states to another model file, even one of the same shapes", async () => {
    await openAndPushAside(neuron, "llama", "deserts");
    const held = (await kvOf(neuron, "llama"))?.entries ?? 0;
    expect(held).toBeGreaterThan(0);

    const twin = await chat(neuron, "twin", followUp("deserts"));
    expect(twin.cached).toBe(0);
    expect(await kvOf(neuron, "twin")).toMatchObject({ entries: 0, hits: 0 });
    expect(await kvOf(neuron, "llama")).toMatchObject({ entries: held });
    // The state was there all along, for its own model.
    expect((await chat(neuron, "llama", followUp("deserts"))).cached).toBeGreaterThan(100);
  });

  it("drops a model's states when it unloads; a reload with another context starts empty", async () => {
    await neuron.post("/models/unload", { model: "llama" });
    expect(await neuron.metric("cortex_neuron_kv_cache_entries", { where: "ram" })).toBe(0);
    expect(await neuron.metric("cortex_neuron_kv_cache_bytes", { where: "ram" })).toBe(0);
    await neuron.post("/models/load", { model: "llama", context_size: 1024 });

    const after = await chat(neuron, "llama", followUp("deserts"));
    expect(after.cached).toBe(0);
    expect(await kvOf(neuron, "llama")).toMatchObject({ entries: 0, hits: 0 });
  });
});

describe("KV state tier on disk", () => {
  let neuron: TestNeuron;
  beforeAll(async () => {
    neuron = await startTestNeuron({
      models: { llama: { arch: "llama", quant: "f16" } },
      config: CONFIG(`ram = "0"\ndisk = "64MiB"`),
    });
  });
  afterAll(async () => {
    await neuron?.stop();
  });

  /** The state file the neuron wrote last (its tier works in `<models_dir>/.cortex-cache/kv/<pid>-<id>/`). */
  async function newestStateFile(): Promise<string> {
    const root = join(neuron.dir, ".cortex-cache", "kv");
    const [folder = ""] = await readdir(root);
    const ids = (await readdir(join(root, folder)))
      .filter((name) => name.endsWith(".kvs"))
      .map((name) => Number.parseInt(name, 10));
    expect(ids.length).toBeGreaterThan(0);
    return join(root, folder, `${Math.max(...ids)}.kvs`);
  }

  it("restores from disk", async () => {
    const first = await openAndPushAside(neuron, "llama", "forests");
    const next = await chat(neuron, "llama", followUp("forests"));
    expect(next.cached).toBeGreaterThanOrEqual(first.prompt - 8);
    expect(await neuron.metric("cortex_neuron_kv_cache_restore_seconds_count", { from: "disk" })).toBe(1);
  });

  it("discards a corrupt state file instead of loading it", async () => {
    const first = await openAndPushAside(neuron, "llama", "volcanoes");
    const file = await newestStateFile();
    const bytes = await readFile(file);
    // One bit in the last byte of llama.cpp's payload: only the checksum can tell.
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    await writeFile(file, bytes);

    const next = await chat(neuron, "llama", followUp("volcanoes"));
    // Only the chat template's preamble, which the sequence's other conversation shares.
    expect(next.cached).toBeLessThan(first.prompt / 2);
    expect(await neuron.metric("cortex_neuron_kv_cache_discards_total", { reason: "corrupt" })).toBe(1);
    const listed = (await neuron.models()).models.find((entry) => entry.id === "llama");
    const corrupt = fingerprint(opening("volcanoes"));
    expect(
      listed?.prefixes?.prefixes.filter((item) => item.fp === corrupt && item.where !== "sequence"),
    ).toEqual([]);
  });

  it.each([
    [
      "another context size",
      (identity: StateIdentity) => ({ ...identity, context: { ...identity.context, contextSize: 4096 } }),
    ],
    [
      "another model file",
      (identity: StateIdentity) => ({
        ...identity,
        model: { ...identity.model, size: identity.model.size + 1 },
      }),
    ],
  ] as const)("refuses a well-formed state file saved for %s", async (_case, change) => {
    const topic = `case ${_case}`;
    const first = await openAndPushAside(neuron, "llama", topic);
    const file = await newestStateFile();
    const bytes = await readFile(file);
    const headerLength = bytes.readUInt32LE(8);
    const header = JSON.parse(bytes.subarray(12, 12 + headerLength).toString("utf8")) as {
      identity: StateIdentity;
      tokens: number[];
    };
    // A file with a valid checksum that says it belongs elsewhere.
    await writeStateFile(
      file,
      { identity: change(header.identity), tokens: header.tokens },
      bytes.subarray(12 + headerLength),
    );
    const before = await neuron.metric("cortex_neuron_kv_cache_discards_total", { reason: "mismatch" });

    const next = await chat(neuron, "llama", followUp(topic));
    expect(next.cached).toBeLessThan(first.prompt / 2);
    expect(await neuron.metric("cortex_neuron_kv_cache_discards_total", { reason: "mismatch" })).toBe(
      before + 1,
    );
  });
});

describe("KV state tier bounds", () => {
  const ram = 400 * 1024;
  const disk = 700 * 1024;
  let neuron: TestNeuron;
  beforeAll(async () => {
    neuron = await startTestNeuron({
      models: { llama: { arch: "llama", quant: "f16" } },
      config: CONFIG(`ram = ${ram}\ndisk = ${disk}`),
    });
  });
  afterAll(async () => {
    await neuron?.stop();
  });

  /** State files (and the one being written); llama.cpp's scratch files while it saves are not states. */
  async function bytesOnDisk(): Promise<number> {
    const root = join(neuron.dir, ".cortex-cache", "kv");
    let total = 0;
    for (const folder of await readdir(root)) {
      for (const name of await readdir(join(root, folder))) {
        if (name === "scratch") continue;
        total += (await stat(join(root, folder, name)).catch(() => ({ size: 0 }))).size;
      }
    }
    return total;
  }

  it("stay within kv_cache.ram and kv_cache.disk while conversations churn", async () => {
    const topics = ["amber", "basalt", "cobalt", "dolomite", "emerald", "feldspar", "garnet", "hematite"];
    // Second turns in reverse: the latest states are still in RAM, the older ones went to disk.
    for (const [turn, order] of [
      [opening, topics],
      [followUp, [...topics].reverse()],
    ] as const) {
      for (const topic of order) {
        await chat(neuron, "llama", turn(topic));
        expect(await neuron.metric("cortex_neuron_kv_cache_bytes", { where: "ram" })).toBeLessThanOrEqual(
          ram,
        );
        expect(await neuron.metric("cortex_neuron_kv_cache_bytes", { where: "disk" })).toBeLessThanOrEqual(
          disk,
        );
        expect(await bytesOnDisk()).toBeLessThanOrEqual(disk);
      }
    }
    // The churn did make the tier spill and evict, and the second turns found states in both tiers.
    expect(await neuron.metric("cortex_neuron_kv_cache_spills_total")).toBeGreaterThan(0);
    expect(await neuron.metric("cortex_neuron_kv_cache_evictions_total", { where: "disk" })).toBeGreaterThan(
      0,
    );
    expect(
      await neuron.metric("cortex_neuron_kv_cache_restore_seconds_count", { from: "ram" }),
    ).toBeGreaterThan(0);
    expect(
      await neuron.metric("cortex_neuron_kv_cache_restore_seconds_count", { from: "disk" }),
    ).toBeGreaterThan(0);
  });
});
