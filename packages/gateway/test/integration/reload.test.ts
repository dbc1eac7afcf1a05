import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnListening, type SpawnedProcess } from "@cortex/core";
import { repoRoot, startFakeNeuron } from "@cortex/testkit";
import OpenAI from "openai";
import { afterAll, describe, expect, it } from "vitest";
import { Cleanups, MiB, cortexToml, waitFor } from "./gateway-harness.js";

const cleanups = new Cleanups();
afterAll(() => cleanups.run());

const TOKENS = 80;

/** `cortex serve --config <file>` in its own process, so it can be sent SIGHUP. */
async function serve(configFile: string): Promise<SpawnedProcess> {
  const gateway = await spawnListening(process.execPath, [
    join(repoRoot(), "packages/cli/bin/cortex.js"),
    "serve",
    "--config",
    configFile,
  ]);
  cleanups.add(() => gateway.stop("SIGKILL"));
  return gateway;
}

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

    const gateway = await serve(configFile);
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

  it("rotates an api key and the admin key on SIGHUP, and reads a new models_file (issue 11 finding 5)", async () => {
    const node = await startFakeNeuron({
      name: "only",
      memoryTotal: 100 * MiB,
      models: [
        { id: "m1", memory: 10 * MiB, loaded: true },
        { id: "m2", memory: 10 * MiB, loaded: true },
      ],
    });
    cleanups.add(() => node.close());
    const dir = await mkdtemp(join(tmpdir(), "cortex-rotate-"));
    cleanups.add(() => rm(dir, { recursive: true, force: true }));
    const configFile = join(dir, "cortex.toml");
    const write = (apiKey: string, adminKey: string, modelsFile: string): Promise<void> =>
      writeFile(
        configFile,
        cortexToml({
          neurons: [{ name: "only", url: node.url }],
          gateway: { api_keys: [apiKey], admin_key: adminKey, models_file: modelsFile },
        }),
      );
    await writeFile(join(dir, "first.toml"), '[[models]]\nid = "m1"\naliases = ["fast"]\n');
    await writeFile(join(dir, "second.toml"), '[[models]]\nid = "m2"\naliases = ["fast"]\n');
    await write("client-1", "admin-1", "first.toml");
    const gateway = await serve(configFile);
    const chat = (key: string): Promise<Response> =>
      fetch(`${gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: "fast", messages: [{ role: "user", content: "hi" }], max_tokens: 1 }),
      });
    const admin = (key: string): Promise<Response> =>
      fetch(`${gateway.url}/admin/fleet`, { headers: { authorization: `Bearer ${key}` } });
    expect([(await chat("client-1")).status, (await admin("admin-1")).status]).toEqual([200, 200]);

    await write("client-2", "admin-2", "second.toml");
    gateway.child.kill("SIGHUP");
    await waitFor(
      "the rotated client key to be accepted",
      async () => (await chat("client-2")).status === 200,
    );

    expect((await chat("client-1")).status).toBe(401);
    expect((await admin("admin-1")).status).toBe(401);
    expect((await admin("admin-2")).status).toBe(200);
    const answer = (await (await chat("client-2")).json()) as { model: string };
    expect(answer.model).toBe("m2");
    expect(await gateway.stop("SIGTERM")).toBe(0);
  });

  it("refuses a SIGHUP that changes the listen address, naming the key, and keeps serving as before", async () => {
    const node = await startFakeNeuron({
      name: "only",
      memoryTotal: 100 * MiB,
      models: [{ id: "m1", memory: 10 * MiB, loaded: true }],
    });
    cleanups.add(() => node.close());
    const dir = await mkdtemp(join(tmpdir(), "cortex-refuse-"));
    cleanups.add(() => rm(dir, { recursive: true, force: true }));
    const configFile = join(dir, "cortex.toml");
    const write = (apiKey: string, listen: string): Promise<void> =>
      writeFile(
        configFile,
        cortexToml({ neurons: [{ name: "only", url: node.url }], gateway: { api_keys: [apiKey], listen } }),
      );
    await write("client-1", "127.0.0.1:0");
    const gateway = await serve(configFile);

    await write("client-2", "127.0.0.1:1");
    gateway.child.kill("SIGHUP");
    await waitFor("the refusal in the log", () => gateway.output().includes("reload refused"));

    expect(gateway.output()).toMatch(/gateway\.listen cannot change without a restart/);
    const models = await fetch(`${gateway.url}/v1/models`, { headers: { authorization: "Bearer client-1" } });
    expect(models.status).toBe(200);
    expect(await gateway.stop("SIGTERM")).toBe(0);
  });
});
