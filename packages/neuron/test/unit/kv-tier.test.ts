import { mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { StateIdentity } from "../../src/kv-cache/kv-state-file.js";
import { KvTier, type ModelStates } from "../../src/kv-cache/kv-tier.js";
import { useTempDirs } from "./support/temp-dir.js";

const tempDir = useTempDirs("kv-tier");

function identity(loadId: string): StateIdentity {
  return {
    model: { path: `/models/${loadId}.gguf`, size: 1000, mtimeMs: 1 },
    context: { contextSize: 4096, flashAttention: true, kvCacheKeyType: "f16", kvCacheValueType: "f16" },
    loadId,
  };
}

async function openTier(options: { ram: number; disk: number; room?: () => number; maxEntries?: number }) {
  return KvTier.open({
    ramLimit: options.ram,
    diskLimit: options.disk,
    dir: await tempDir(),
    log: () => {},
    ...(options.room ? { ramRoom: options.room } : {}),
    ...(options.maxEntries ? { maxEntries: options.maxEntries } : {}),
  });
}

/** Stands in for llama.cpp's state: the tokens, padded to `bytes`, so a fake restore can read them back. */
function stateOf(tokens: readonly number[], bytes: number): Buffer {
  const buffer = Buffer.alloc(Math.max(bytes, 4 + 4 * tokens.length));
  buffer.writeUInt32LE(tokens.length, 0);
  tokens.forEach((token, index) => buffer.writeUInt32LE(token, 4 + 4 * index));
  return buffer;
}

/** What llama.cpp's load returns: the tokens the state file holds. */
async function loadTokens(path: string): Promise<number[]> {
  const buffer = await readFile(path);
  return Array.from({ length: buffer.readUInt32LE(0) }, (_, index) => buffer.readUInt32LE(4 + 4 * index));
}

function save(states: ModelStates, tokens: number[], bytes: number): Promise<boolean> {
  return states.save(tokens, null, (path) => writeFile(path, stateOf(tokens, bytes)));
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, index) => from + index);

/** The tier's state files (its scratch folder holds llama.cpp's working files). */
async function filesIn(dir: string): Promise<{ names: string[]; bytes: number }> {
  const names = (await readdir(dir)).filter((name) => name !== "scratch");
  let bytes = 0;
  for (const name of names) bytes += (await stat(join(dir, name))).size;
  return { names, bytes };
}

describe("KvTier", () => {
  it("finds the state with the longest shared prefix of the same model only", async () => {
    const tier = await openTier({ ram: 1 << 20, disk: 0 });
    const a = tier.forModel("a", identity("a"), 4);
    const b = tier.forModel("b", identity("b"), 4);
    await save(a, range(0, 100), 1000);
    await save(a, [...range(0, 50), ...range(500, 50)], 1000);
    await tier.idle();
    expect(a.lookup([...range(0, 80), 9999])).toMatchObject({ shared: 80, where: "ram" });
    expect(a.lookup([...range(0, 50), 500, 501])).toMatchObject({ shared: 52 });
    expect(b.lookup(range(0, 100))).toBeNull();
    await tier.close();
  });

  it("restores what was saved and hands the state over to the sequence", async () => {
    const tier = await openTier({ ram: 1 << 20, disk: 0 });
    const states = tier.forModel("m", identity("m"), 4);
    const tokens = range(7, 64);
    await save(states, tokens, 640);
    await tier.idle();
    const match = states.lookup(tokens);
    expect(match).not.toBeNull();
    let loaded: Buffer | undefined;
    const outcome = await states.restore(match!, async (path) => {
      loaded = await readFile(path);
      return loadTokens(path);
    });
    expect(outcome).toMatchObject({ ok: true, tokens: 64, bytes: 640, from: "ram" });
    expect(loaded?.equals(stateOf(tokens, 640))).toBe(true);
    expect(states.lookup(tokens)).toBeNull();
    expect(tier.ramBytes).toBe(0);
    await tier.close();
  });

  it("offers a state to lookups as soon as llama.cpp wrote it; a restore waits for it to be filed", async () => {
    const tier = await openTier({ ram: 1 << 20, disk: 0 });
    const states = tier.forModel("m", identity("m"), 4);
    const tokens = range(3, 64);
    await save(states, tokens, 640);
    // No idle(): the conversation's next turn can come before the background queue files the state.
    const match = states.lookup(tokens);
    expect(match).toMatchObject({ shared: 64 });
    expect(await states.restore(match!, loadTokens)).toMatchObject({ ok: true, from: "ram" });
    await tier.close();
  });

  it("offers a state to lookups while llama.cpp is still writing it; a restore waits for the write", async () => {
    const tier = await openTier({ ram: 1 << 20, disk: 0 });
    const states = tier.forModel("m", identity("m"), 4);
    const tokens = range(5, 64);
    let finishWrite = (): void => {};
    const writing = new Promise<void>((resolve) => {
      finishWrite = resolve;
    });
    // Another request took the conversation's sequence and is saving it: the save has not returned.
    const saved = states.save(tokens, null, async (path) => {
      await writing;
      await writeFile(path, stateOf(tokens, 640));
    });
    const match = states.lookup([...tokens, 1000, 1001]);
    expect(match).toMatchObject({ shared: 64 });
    let settled = false;
    const ready = states.settled(match!).then(() => {
      settled = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    finishWrite();
    await ready;
    expect(await saved).toBe(true);
    expect(await states.restore(match!, loadTokens)).toMatchObject({ ok: true, tokens: 64, bytes: 640 });
    await tier.close();
  });

  it("forgets a state whose write failed: a lookup made meanwhile finds it gone", async () => {
    const tier = await openTier({ ram: 1 << 20, disk: 0 });
    const states = tier.forModel("m", identity("m"), 4);
    const tokens = range(9, 64);
    let failWrite = (): void => {};
    const failing = new Promise<void>((_, reject) => {
      failWrite = () => reject(new Error("disk full"));
    });
    const saved = states.save(tokens, null, () => failing);
    const match = states.lookup(tokens);
    expect(match).not.toBeNull();
    failWrite();
    expect(await saved).toBe(false);
    expect(await states.restore(match!, loadTokens)).toMatchObject({ ok: false, dirty: false });
    expect(states.lookup(tokens)).toBeNull();
    await tier.close();
  });

  it("treats a restore that gave other tokens as a failure and forgets the state", async () => {
    const tier = await openTier({ ram: 1 << 20, disk: 0 });
    const states = tier.forModel("m", identity("m"), 4);
    await save(states, range(0, 64), 640);
    await tier.idle();
    const outcome = await states.restore(states.lookup(range(0, 64))!, async (path) =>
      (await loadTokens(path)).map((token) => token + 1),
    );
    expect(outcome).toMatchObject({ ok: false, dirty: true });
    expect(states.lookup(range(0, 64))).toBeNull();
    await tier.close();
  });

  it("keeps one state per conversation: a longer state replaces the prefixes it extends", async () => {
    const tier = await openTier({ ram: 1 << 20, disk: 0 });
    const states = tier.forModel("m", identity("m"), 4);
    await save(states, range(0, 64), 1000);
    await save(states, range(0, 128), 2000);
    await save(states, range(0, 96), 1500);
    await tier.idle();
    expect(states.entries()).toHaveLength(1);
    expect(states.covers(range(0, 96))).toBe(true);
    expect(tier.ramBytes).toBe(2000);
    await tier.close();
  });

  it("drops a model's states, in RAM and on disk, when the model unloads", async () => {
    const tier = await openTier({ ram: 300, disk: 1 << 20 });
    const states = tier.forModel("m", identity("m"), 4);
    for (let index = 0; index < 5; index++) await save(states, range(index * 1000, 64), 200);
    await tier.idle();
    expect(tier.diskBytes).toBeGreaterThan(0);
    states.drop();
    await tier.idle();
    expect({ ram: tier.ramBytes, disk: tier.diskBytes, entries: states.entries() }).toEqual({
      ram: 0,
      disk: 0,
      entries: [],
    });
    await expect.poll(async () => (await filesIn(tier.dir)).names).toEqual([]);
    expect(await save(states, range(0, 64), 200)).toBe(false);
    await tier.close();
  });

  it("gives RAM back at once when the memory budget needs it", async () => {
    let room = 10_000;
    const tier = await openTier({ ram: 10_000, disk: 0, room: () => room });
    const states = tier.forModel("m", identity("m"), 4);
    for (let index = 0; index < 4; index++) await save(states, range(index * 1000, 64), 1000);
    await tier.idle();
    expect(tier.ramBytes).toBe(4000);
    expect(tier.reclaim(1500)).toBe(2000);
    expect(tier.ramBytes).toBe(2000);
    // And it stays within what the budget leaves it.
    room = 2500;
    await save(states, range(9000, 64), 1000);
    await tier.idle();
    expect(tier.ramBytes).toBeLessThanOrEqual(2500);
    await tier.close();
  });

  it("holds its RAM and disk bounds under churn, spilling the least recently used to disk", async () => {
    const ram = 5_000;
    const disk = 12_000;
    const tier = await openTier({ ram, disk });
    const models = [tier.forModel("a", identity("a"), 4), tier.forModel("b", identity("b"), 4)];
    let seed = 12345;
    const random = (limit: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % limit;
    };
    let restores = 0;
    for (let step = 0; step < 300; step++) {
      const states = models[random(2)]!;
      const conversation = random(12);
      const tokens = range(conversation * 10_000, 32 + random(64));
      if (random(3) === 0) {
        const match = states.lookup(tokens);
        if (match) {
          const outcome = await states.restore(match, loadTokens);
          if (outcome.ok) restores++;
        }
      } else {
        await save(states, tokens, 400 + random(2_500));
      }
      if (step % 10 === 0) await tier.idle();
      expect(tier.ramBytes).toBeLessThanOrEqual(ram);
      expect(tier.diskBytes).toBeLessThanOrEqual(disk);
    }
    await tier.idle();
    const files = await filesIn(tier.dir);
    expect(files.bytes).toBe(tier.diskBytes);
    expect(files.bytes).toBeLessThanOrEqual(disk);
    expect(tier.count("disk")).toBeGreaterThan(0);
    expect(restores).toBeGreaterThan(0);
    await tier.close();
  });

  it("removes the folders of processes that are gone (its own pid too: containers reuse it), and only those", async () => {
    const parent = await tempDir();
    const live = await KvTier.open({ ramLimit: 1000, diskLimit: 1000, dir: parent, log: () => {} });
    await mkdir(join(parent, "999999999-deadbeef"));
    await mkdir(join(parent, `${process.pid}-cafe0000`));
    // pid 1 is always alive here (init or the container's first process).
    await mkdir(join(parent, "1-0badf00d"));
    const tier = await KvTier.open({ ramLimit: 1000, diskLimit: 1000, dir: parent, log: () => {} });
    const names = await readdir(parent);
    expect(names).not.toContain("999999999-deadbeef");
    expect(names).not.toContain(`${process.pid}-cafe0000`);
    expect(names).toContain("1-0badf00d");
    expect(names).toContain(live.dir.slice(parent.length + 1));
    expect(names).toContain(tier.dir.slice(parent.length + 1));
    await tier.close();
    await live.close();
  });
});
