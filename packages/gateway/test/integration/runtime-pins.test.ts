import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Cleanups,
  okJson,
  startTestGateway,
  waitFor,
  type GatewaySetup,
  type TestGateway,
} from "./gateway-harness.js";
import { TINY_LLAMA, startRealNeuron, type RealNeuron } from "./real-neuron.js";

/**
 * Runtime pins (`cortex pin`) used to live in one gateway's memory: lost when it restarted, unknown to a
 * second gateway in front of the same fleet (issue 11 finding 11). The neurons keep them now, so every
 * gateway reads the same pins from the nodes' reports.
 */
const NEURON_CONFIG = "context_size = 512\nparallel = 1\nthreads = 1";

const cleanups = new Cleanups();
let x: RealNeuron;
let y: RealNeuron;
let setup: GatewaySetup;

beforeAll(async () => {
  [x, y] = await Promise.all([
    startRealNeuron({ name: "x", models: { keep: TINY_LLAMA, other: TINY_LLAMA }, config: NEURON_CONFIG }),
    startRealNeuron({ name: "y", models: { keep: TINY_LLAMA }, config: NEURON_CONFIG }),
  ]);
  cleanups.add(() => x.stop());
  cleanups.add(() => y.stop());
  setup = {
    neurons: [
      { name: "x", url: x.url },
      { name: "y", url: y.url },
    ],
  };
}, 120_000);

afterAll(() => cleanups.run());

async function gateway(): Promise<TestGateway> {
  const gw = await startTestGateway(setup);
  cleanups.add(() => gw.close());
  await waitFor("both nodes up", async () => (await gw.catalog()).some((entry) => entry.id === "keep"));
  return gw;
}

/** `pinned` per node and model as a gateway's /admin/fleet shows it. */
async function pins(gw: TestGateway): Promise<string[]> {
  const fleet = (await okJson(await gw.get("/admin/fleet"))) as {
    nodes: { name: string; models: { id: string; pinned: boolean }[] }[];
  };
  return fleet.nodes.flatMap((node) =>
    node.models.filter((model) => model.pinned).map((model) => `${model.id}@${node.name}`),
  );
}

describe("runtime pins live on the neurons", () => {
  it("a pin made through one gateway is seen by a second one and survives the first one's restart", async () => {
    const first = await gateway();
    const second = await gateway();
    await okJson(await first.post("/admin/models/load", { model: "keep", node: "x" }));

    const pinned = (await okJson(await first.post("/admin/models/pin", { model: "keep" }))) as {
      nodes: string[];
    };
    expect(pinned.nodes.sort()).toEqual(["x", "y"]);
    expect((await x.model("keep"))?.pinned).toBe(true);
    expect((await y.model("keep"))?.pinned).toBe(true);
    expect((await x.model("other"))?.pinned).toBeNull();
    expect(await pins(first)).toEqual(["keep@x", "keep@y"]);
    await waitFor("the second gateway to see the pin", async () => (await pins(second)).length === 2);
    expect(await pins(second)).toEqual(["keep@x", "keep@y"]);

    await first.close();
    const restarted = await gateway();
    await waitFor("the restarted gateway to see the pin", async () => (await pins(restarted)).length === 2);
    expect(await pins(restarted)).toEqual(["keep@x", "keep@y"]);

    await okJson(await second.post("/admin/models/unpin", { model: "keep" }));
    expect((await x.model("keep"))?.pinned).toBe(false);
    await waitFor("the restarted gateway to see the unpin", async () => (await pins(restarted)).length === 0);
  });
});
