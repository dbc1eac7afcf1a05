import { describe, expect, it } from "vitest";
import { formatLoadProgress } from "../src/format/format-load-progress.js";
import { cpuNode, fleetModel, fleetOf, gpuNode } from "./fleet-fixtures.js";

describe("formatLoadProgress", () => {
  it("shows the model's state and progress on every node where it is not unloaded", () => {
    const fleet = fleetOf(
      gpuNode({ models: [fleetModel("big", { state: "loading", progress: 0.25 })] }),
      cpuNode({ models: [fleetModel("big", { state: "unloaded" })] }),
    );
    expect(formatLoadProgress(fleet, "big", 3_400)).toBe("big: loading 25% on gpu-a (3s)");
  });

  it("is waiting while the gateway places the model (or the fleet could not be read)", () => {
    const fleet = fleetOf(cpuNode({ models: [fleetModel("big", { state: "unloaded" })] }));
    expect(formatLoadProgress(fleet, "big", 0)).toBe("big: waiting for a place (0s)");
    expect(formatLoadProgress(undefined, "big", 1_000)).toBe("big: waiting for a place (1s)");
  });
});
