import { startFakeNeuron, type FakeNeuron } from "@cortex/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cleanups, MiB, loadedOn, startTestGateway, type TestGateway } from "./gateway-harness.js";

const cleanups = new Cleanups();
let node: FakeNeuron;
let gw: TestGateway;

beforeAll(async () => {
  node = await startFakeNeuron({
    name: "n1",
    memoryTotal: 100 * MiB,
    models: [
      { id: "cold", memory: 10 * MiB },
      { id: "operated", memory: 10 * MiB },
    ],
  });
  cleanups.add(() => node.close());
  gw = await startTestGateway({ neurons: [{ name: "n1", url: node.url }] });
  cleanups.add(() => gw.close());
});

afterAll(() => cleanups.run());

describe("cold loads", () => {
  it("turns two concurrent requests for a cold model into one load that both wait for", async () => {
    node.set({ holdLoads: true });
    const ask = (content: string) =>
      gw.openai().chat.completions.create({
        model: "cold",
        messages: [{ role: "user", content }],
        max_tokens: 3,
      });
    const first = ask("one");
    await node.waitFor(() => node.stats().loadRequests.cold === 1 && node.model("cold")?.state === "loading");
    const second = ask("two");
    // A round trip through the gateway after the second request went out: it has arrived and is waiting.
    expect((await gw.get("/health")).status).toBe(200);
    node.set({ holdLoads: false });

    const answers = await Promise.all([first, second]);
    expect(answers.map((answer) => answer.choices[0]?.message.content)).toEqual([
      "tok0 tok1 tok2",
      "tok0 tok1 tok2",
    ]);
    expect(node.stats()).toMatchObject({ loads: { cold: 1 }, loadRequests: { cold: 1 }, requests: 2 });
    expect(await gw.metric("cortex_scheduler_loads_total", { model: "cold" })).toBe(1);
    expect(loadedOn(await gw.catalog(), "cold")).toEqual(["n1"]);
    // Loaded now: a third request neither loads nor waits.
    await ask("three");
    expect(node.stats().loadRequests.cold).toBe(1);
  });

  it("makes an operator's load and a request's for the same model one load", async () => {
    node.set({ holdLoads: true });
    const loaded = gw.post("/admin/models/load", { model: "operated" });
    await node.waitFor(
      () => node.stats().loadRequests.operated === 1 && node.model("operated")?.state === "loading",
    );
    const answer = gw.openai().chat.completions.create({
      model: "operated",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 1,
    });
    expect((await gw.get("/health")).status).toBe(200);
    node.set({ holdLoads: false });

    expect((await loaded).status).toBe(200);
    expect((await answer).choices[0]?.message.content).toBe("tok0");
    expect(node.stats()).toMatchObject({ loads: { operated: 1 }, loadRequests: { operated: 1 } });
  });
});
