import { readdir } from "node:fs/promises";
import type * as FsPromises from "node:fs/promises";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { convertHfFolder } from "../../src/convert/index.js";
import { synthModel } from "../../src/synth/index.js";
import { makeTempDir } from "./synth-test-runtime.js";

/**
 * Converted and generated models must survive a power cut once they carry their final name: every file
 * is fsynced before the rename that publishes it, and the directory after (issue 11, finding 10). The
 * order of those calls is not observable through the files themselves, so node:fs/promises is wrapped to
 * record it (the real calls still run).
 */
const events: string[] = [];

vi.mock("node:fs/promises", async (importOriginal) => {
  const fs = await importOriginal<typeof FsPromises>();
  return {
    ...fs,
    open: async (...args: Parameters<typeof fs.open>) => {
      const handle = await fs.open(...args);
      const path = String(args[0]);
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        events.push(`sync ${path}`);
        await sync();
      };
      return handle;
    },
    rename: async (from: string, to: string) => {
      await fs.rename(from, to);
      events.push(`rename ${from} -> ${to}`);
    },
  };
});

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
});

afterAll(async () => {
  await cleanup();
});

/** Every file published by `rename from -> to` was synced before it, and `to`'s directory after it. */
async function expectDurable(to: string): Promise<void> {
  const index = events.findIndex((event) => event.startsWith("rename ") && event.endsWith(` -> ${to}`));
  expect(index, `a rename onto ${relative(dir, to)}`).toBeGreaterThanOrEqual(0);
  const from = (events[index] ?? "").slice("rename ".length, -` -> ${to}`.length);
  const before = events.slice(0, index);
  const written = await filesUnder(to);
  for (const file of written) {
    const temporary = join(from, relative(to, file));
    expect(before, `${relative(dir, file)} synced before its rename`).toContain(
      `sync ${temporary.replace(/\/$/, "")}`,
    );
  }
  const parent = join(to, "..");
  expect(events.slice(index + 1), `${relative(dir, parent) || "."} synced after the rename`).toContain(
    `sync ${parent}`,
  );
}

async function filesUnder(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => null);
  if (entries === null) return [path];
  return entries.filter((entry) => entry.isFile()).map((entry) => join(path, entry.name));
}

describe("durable writes", () => {
  it("synth-model fsyncs a GGUF before renaming it into place, and its directory after", async () => {
    const out = join(dir, "tiny.gguf");
    await synthModel({ arch: "llama", out });
    await expectDurable(out);
  });

  it("synth-model --format hf fsyncs every file of the folder before renaming it into place", async () => {
    const out = join(dir, "tiny-hf");
    await synthModel({ arch: "qwen3", format: "hf", out });
    await expectDurable(out);
  });

  it("a converted HF folder is fsynced before it is renamed into the cache", async () => {
    const out = join(dir, "cache", "converted.gguf");
    await convertHfFolder({ dir: join(dir, "tiny-hf"), out });
    await expectDurable(out);
  });
});
