import type { NeuronModel } from "@cortex/core";
import { describe, expect, it } from "vitest";
import type { NodeReport } from "../../src/routing/to-node-snapshot.js";
import { ReportedPins } from "../../src/scheduler/fleet-operations.js";

const model = (id: string, pinned: boolean | null | undefined): NeuronModel =>
  ({ id, pinned }) as unknown as NeuronModel;
const report = (name: string, ...models: NeuronModel[]): NodeReport => ({
  name,
  state: "up",
  info: null,
  models,
});

describe("ReportedPins", () => {
  it("pins a model any node reports pinned, unpins one only reported unpinned, leaves the rest to models.toml", () => {
    const pins = new ReportedPins(() => [
      report("a", model("both", true), model("off", false), model("none", null), model("old", undefined)),
      report("b", model("both", false), model("off", false)),
    ]);
    expect(pins.pinned("both")).toBe(true);
    expect(pins.pinned("off")).toBe(false);
    expect(pins.pinned("none")).toBeUndefined();
    expect(pins.pinned("old")).toBeUndefined();
    expect(pins.pinned("absent")).toBeUndefined();
  });

  it("changes its version only when the reported pins change", () => {
    let reports: NodeReport[] = [report("a", model("m", null))];
    const pins = new ReportedPins(() => reports);
    const first = pins.version;
    reports = [report("a", model("m", null), model("n", null))];
    expect(pins.version).toBe(first);
    reports = [report("a", model("m", true))];
    expect(pins.version).toBe(first + 1);
    expect(pins.pinned("m")).toBe(true);
  });
});
