import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnListening } from "@cortex/core";
import { repoRoot, startFakeNeuron } from "@cortex/testkit";
import OpenAI from "openai";
import { afterAll, describe, expect, it } from "vitest";
import { Cleanups, MiB, cortexToml, waitFor } from "./gateway-harness.js";

const cleanups = new Cleanups();
afterAll(() => cleanups.run());

const TOKENS = 80;

describe("cortex serve", () => {
  it("adds a neuron on SIGHUP without dropping a stream in flight", async () => {
    const first = await startFakeNeuron({
      name: "first",
      memoryTotal: 100 * MiB,
      models: [{ id: "steady", memory: 10 * MiB, loaded: true }],
      knobs: { tokenDelayMs: 40 },
    });
    cleanups.add(() => first.close());
    const second = await startFakeNeuron({
      name: "second",
      memoryTotal: 100 * MiB,
      models: [{ id: "newcomer", memory: 10 * MiB }],
    });
    cleanups.add(() => second.close());
    const dir = await mkdtemp(join(tmpdir(), "cortex-reload-"));
    cleanups.add(() => rm(dir, { recursive: true, force: true }));
    const configFile = join(dir, "cortex.toml");
    await writeFile(configFile, cortexToml({ neurons: [{ name: "first", url: first.url }] }));

    const gateway = await spawnListening(process.execPath, [
      join(repoRoot(), "packages/cli/bin/cortex.js"),
      "serve",
      "--config",
      configFile,
    ]);
    cleanups.add(() => gateway.stop("SIGKILL"));
    const catalog = async (): Promise<string[]> => {
      const body = (await (await fetch(`${gateway.url}/v1/models`)).json()) as { data: { id: string }[] };
      return body.data.map((entry) => entry.id);
    };
    expect(await catalog()).toEqual(["steady"]);

    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: "steady",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: TOKENS,
      stream: true,
    });
    const iterator = stream[Symbol.asyncIterator]();
    let text = "";
    while (text === "") {
      const { value, done } = await iterator.next();
      if (done) break;
      text += value.choices[0]?.delta.content ?? "";
    }

    await appendFile(configFile, `\n\n[[neurons]]\nname = "second"\nendpoint = "${second.url}"\n`);
    gateway.child.kill("SIGHUP");
    await waitFor("the added neuron's models to appear", async () => (await catalog()).includes("newcomer"));
    // The reload took effect while the stream was still running on the first neuron.
    expect(first.stats().inFlight.steady).toBe(1);

    let finish: string | null = null;
    for (let step = await iterator.next(); !step.done; step = await iterator.next()) {
      text += step.value.choices[0]?.delta.content ?? "";
      finish = step.value.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe(Array.from({ length: TOKENS }, (_, i) => `tok${i}`).join(" "));
    expect(finish).toBe("length");
    expect(first.stats().aborted).toBe(0);

    const answer = await client.chat.completions.create({
      model: "newcomer",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 2,
    });
    expect(answer.choices[0]?.message.content).toBe("tok0 tok1");
    expect(second.stats().loads.newcomer).toBe(1);
    expect(await gateway.stop("SIGTERM")).toBe(0);
  });
});
