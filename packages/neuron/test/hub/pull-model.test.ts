import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startHubServer, type HubServer } from "@cortex/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HubClient } from "../../src/hub/hub-client.js";
import { planPull, runPull, type FreeSpace } from "../../src/hub/pull-model.js";
import { readManifest } from "../../src/hub/pulled-models.js";
import { parsePullSpec } from "../../src/hub/select-pull-files.js";
import { useTempDirs } from "../unit/support/temp-dir.js";

/** Deterministic bytes that differ per file, big enough to arrive in many chunks. */
function bytes(seed: string, size = 300_000): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash("sha256").update(seed).digest();
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(out, offset);
    block = createHash("sha256").update(block).digest();
  }
  return out;
}

const FILES = {
  "m-Q8_0.gguf": bytes("q8"),
  "m-F16.gguf": bytes("f16"),
  "m-BF16-00001-of-00002.gguf": bytes("bf16-1"),
  "m-BF16-00002-of-00002.gguf": bytes("bf16-2", 1000),
  "README.md": Buffer.from("# m\n"),
};
const FOLDER = {
  "config.json": Buffer.from('{"model_type":"qwen3"}\n'),
  "tokenizer.json": Buffer.from('{"model":{}}\n'),
  "model-00001-of-00002.safetensors": bytes("shard-1"),
  "model-00002-of-00002.safetensors": bytes("shard-2"),
  "model.safetensors.index.json": Buffer.from('{"weight_map":{}}\n'),
  "README.md": Buffer.from("# folder\n"),
};
const TOKEN = "hf_granted";

let hub: HubServer;
beforeAll(async () => {
  hub = await startHubServer({
    repos: {
      "org/m-GGUF": { files: FILES },
      "org/folder": { files: FOLDER },
      "org/gated-GGUF": { files: { "g-Q4_K_M.gguf": bytes("gated") }, gated: true },
    },
    tokens: [TOKEN],
    pageSize: 2,
  });
});
afterAll(() => hub.close());

const plenty: FreeSpace = () => Promise.resolve(1e12);

async function pull(
  text: string,
  modelsDir: string,
  options: {
    token?: string;
    freeSpace?: FreeSpace;
    signal?: AbortSignal;
    onProgress?: (done: number) => void;
  } = {},
) {
  const client = new HubClient({ endpoint: hub.url, token: options.token });
  const planned = await planPull(parsePullSpec(text), {
    client,
    modelsDir,
    freeSpace: options.freeSpace ?? plenty,
  });
  const manifest = await runPull(planned, {
    client,
    modelsDir,
    signal: options.signal ?? new AbortController().signal,
    retryDelayMs: 1,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return { planned, manifest };
}

/** What the model scan sees: everything but hidden entries. */
async function visible(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => !name.startsWith(".")).sort();
}

describe("pull", () => {
  const tempDir = useTempDirs("pull");
  it("puts the GGUF of the asked quant into models_dir, byte for byte, and records where it came from", async () => {
    const dir = await tempDir();
    const progress: number[] = [];
    const { manifest } = await pull("org/m-GGUF:q8_0", dir, { onProgress: (done) => progress.push(done) });
    expect(await visible(dir)).toEqual(["m-Q8_0.gguf"]);
    expect((await readFile(join(dir, "m-Q8_0.gguf"))).equals(FILES["m-Q8_0.gguf"])).toBe(true);
    expect(manifest).toMatchObject({
      id: "m-Q8_0",
      repo: "org/m-GGUF",
      commit: hub.commitOf("org/m-GGUF"),
      kind: "gguf",
      quant: "Q8_0",
      paths: ["m-Q8_0.gguf"],
    });
    expect(await readManifest(dir, "m-Q8_0")).toEqual(manifest);
    expect(progress.at(-1)).toBe(300_000);
    // Only the hub saw the (absent) token; the CDN got the LFS bytes.
    expect(
      hub.requests.some(
        (r) => r.server === "cdn" && r.path.includes(hub.file("org/m-GGUF", "m-Q8_0.gguf").sha256),
      ),
    ).toBe(true);
  });

  it("pulls a split set whole", async () => {
    const dir = await tempDir();
    await pull("org/m-GGUF:BF16", dir);
    expect(await visible(dir)).toEqual(["m-BF16-00001-of-00002.gguf", "m-BF16-00002-of-00002.gguf"]);
    expect(
      (await readFile(join(dir, "m-BF16-00002-of-00002.gguf"))).equals(FILES["m-BF16-00002-of-00002.gguf"]),
    ).toBe(true);
  });

  it("pulls a safetensors repo as one folder named after the repo, files kept in git verified by their git id", async () => {
    const dir = await tempDir();
    const { manifest } = await pull("org/folder", dir);
    expect(await visible(dir)).toEqual(["folder"]);
    expect((await readdir(join(dir, "folder"))).sort()).toEqual([
      "config.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
      "tokenizer.json",
    ]);
    expect(await readFile(join(dir, "folder", "config.json"), "utf8")).toBe('{"model_type":"qwen3"}\n');
    expect(manifest).toMatchObject({ id: "folder", kind: "safetensors", paths: ["folder"] });
  });

  it("resumes after a dropped connection with a Range request for the rest", async () => {
    const dir = await tempDir();
    hub.dropAfter("m-F16.gguf", 100_000);
    const before = hub.requests.length;
    await pull("org/m-GGUF:F16", dir);
    expect((await readFile(join(dir, "m-F16.gguf"))).equals(FILES["m-F16.gguf"])).toBe(true);
    const cdn = hub.requests.slice(before).filter((r) => r.server === "cdn" && r.range !== "bytes=0-0");
    expect(cdn.map((r) => r.range)).toEqual([null, "bytes=100000-"]);
  });

  it("resumes an interrupted pull where it stopped, keeping nothing the scan would list", async () => {
    const dir = await tempDir();
    const abort = new AbortController();
    await expect(
      pull("org/m-GGUF:F16", dir, {
        signal: abort.signal,
        onProgress: (done) => {
          if (done >= 50_000) abort.abort(new Error("stop"));
        },
      }),
    ).rejects.toThrow("stop");
    expect(await visible(dir)).toEqual([]);
    const before = hub.requests.length;
    const { planned } = await pull("org/m-GGUF:F16", dir);
    expect(planned.bytesPresent).toBeGreaterThanOrEqual(50_000);
    const ranges = hub.requests.slice(before).filter((r) => r.server === "cdn" && r.range !== "bytes=0-0");
    expect(ranges.map((r) => r.range)).toEqual([`bytes=${planned.bytesPresent}-`]);
    expect((await readFile(join(dir, "m-F16.gguf"))).equals(FILES["m-F16.gguf"])).toBe(true);
  });

  it("refuses a file whose sha256 does not match the hub's, and removes it", async () => {
    const dir = await tempDir();
    hub.corrupt("m-BF16-00002-of-00002.gguf");
    try {
      await expect(pull("org/m-GGUF:BF16", dir)).rejects.toMatchObject({
        code: "upstream_error",
        message: expect.stringMatching(
          /m-BF16-00002-of-00002.gguf does not match the hub's sha256 .* discarded/,
        ),
      });
    } finally {
      hub.corrupt("");
    }
    expect(await visible(dir)).toEqual([]);
    const downloads = await readdir(join(dir, ".cortex-pulls", "downloads"));
    expect(downloads.filter((name) => name.endsWith(".partial"))).toEqual([]);
    expect(await readManifest(dir, "m-BF16")).toBeNull();
  });

  it("needs HF_TOKEN for a gated repo, and sends it only to the hub", async () => {
    const dir = await tempDir();
    await expect(pull("org/gated-GGUF", dir)).rejects.toMatchObject({
      code: "hub_access_denied",
      message: expect.stringMatching(/org\/gated-GGUF is gated: set HF_TOKEN on the neuron/),
    });
    await expect(pull("org/gated-GGUF", dir, { token: "hf_someone_else" })).rejects.toMatchObject({
      code: "hub_access_denied",
      message: expect.stringMatching(/has not been granted access/),
    });
    const before = hub.requests.length;
    await pull("org/gated-GGUF", dir, { token: TOKEN });
    expect(await visible(dir)).toEqual(["g-Q4_K_M.gguf"]);
    const seen = hub.requests.slice(before);
    expect(seen.filter((r) => r.server === "hub").every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(
      true,
    );
    const cdn = seen.filter((r) => r.server === "cdn");
    expect(cdn.length).toBeGreaterThan(0);
    expect(cdn.every((r) => r.authorization === null)).toBe(true);
  });

  it("checks free space before downloading anything", async () => {
    const dir = await tempDir();
    const before = hub.requests.length;
    await expect(
      pull("org/m-GGUF:F16", dir, { freeSpace: () => Promise.resolve(200_000) }),
    ).rejects.toMatchObject({
      code: "insufficient_storage",
      message: expect.stringMatching(/needs 293 KiB more in .*, which has 195 KiB free/),
    });
    expect(hub.requests.slice(before).some((r) => r.path.includes("/resolve/"))).toBe(false);
  });

  it("lists what the repo has when no GGUF matches the quant", async () => {
    await expect(pull("org/m-GGUF:Q4_K_M", await tempDir())).rejects.toMatchObject({
      code: "invalid_request",
      message: "no GGUF in org/m-GGUF matches Q4_K_M; available: BF16, F16, Q8_0",
    });
  });

  it("says so when the repo or the revision does not exist", async () => {
    const dir = await tempDir();
    await expect(pull("org/nothing", dir)).rejects.toMatchObject({
      code: "model_not_found",
      message: `org/nothing not found on ${hub.url}`,
    });
    const client = new HubClient({ endpoint: hub.url, token: undefined });
    await expect(
      planPull(parsePullSpec("org/m-GGUF", "v9"), { client, modelsDir: dir, freeSpace: plenty }),
    ).rejects.toMatchObject({
      code: "model_not_found",
      message: `revision v9 of org/m-GGUF not found on ${hub.url}`,
    });
  });

  it("is up to date the second time, and never overwrites a file it did not pull", async () => {
    const dir = await tempDir();
    await pull("org/m-GGUF:Q8_0", dir);
    const { planned } = await pull("org/m-GGUF:Q8_0", dir);
    expect(planned.upToDate).toBe(true);

    await writeFile(join(dir, "m-F16.gguf"), "mine");
    await expect(pull("org/m-GGUF:F16", dir)).rejects.toMatchObject({
      code: "invalid_request",
      message: "models_dir already has m-F16.gguf (not pulled by cortex); delete model m-F16 first",
    });
    expect(await readFile(join(dir, "m-F16.gguf"), "utf8")).toBe("mine");
  });

  it("says a download another live process holds is busy", async () => {
    const dir = await tempDir();
    const sha = hub.file("org/m-GGUF", "m-Q8_0.gguf").sha256;
    await mkdir(join(dir, ".cortex-pulls", "downloads"), { recursive: true });
    await writeFile(join(dir, ".cortex-pulls", "downloads", `${sha}.lock`), String(process.ppid));
    await expect(pull("org/m-GGUF:Q8_0", dir)).rejects.toThrow(
      `m-Q8_0.gguf is already being downloaded by process ${process.ppid}`,
    );
    // A lock left by a process that is gone is taken over.
    await writeFile(join(dir, ".cortex-pulls", "downloads", `${sha}.lock`), "999999999");
    await pull("org/m-GGUF:Q8_0", dir);
    expect(existsSync(join(dir, ".cortex-pulls", "downloads", `${sha}.lock`))).toBe(false);
  });
});
