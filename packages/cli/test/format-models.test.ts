import { describe, expect, it } from "vitest";
import { formatModels } from "../src/format/format-models.js";
import type { CatalogModel } from "../src/gateway-types.js";

function entry(id: string, overrides: Partial<CatalogModel> = {}): CatalogModel {
  return {
    id,
    alias_of: null,
    architecture: "qwen3",
    quantization: "Q8_0",
    context_length: 32768,
    state: "unloaded",
    loaded_on: [],
    nodes: [],
    ...overrides,
  };
}

describe("formatModels", () => {
  it("lists the catalogue with where each model is loaded, aliases marked", () => {
    const text = formatModels(
      [
        entry("qwen3-32b", { state: "loaded", loaded_on: ["gpu-a", "gpu-b"] }),
        entry("llama-8b", { state: "loading", architecture: null, quantization: null, context_length: null }),
        entry("gpt-4o", { state: "loaded", loaded_on: ["gpu-a"], alias_of: "qwen3-32b" }),
      ],
      { color: false },
    );
    expect(text.split("\n")).toEqual([
      "MODEL      STATE    LOADED ON    CONTEXT  ARCH   QUANT  ALIAS OF",
      "qwen3-32b  loaded   gpu-a,gpu-b    32768  qwen3  Q8_0   -",
      "llama-8b   loading  -                  -  -      -      -",
      "gpt-4o     loaded   gpu-a          32768  qwen3  Q8_0   qwen3-32b",
      "",
    ]);
  });

  it("says so when no node offers anything", () => {
    expect(formatModels([], { color: false })).toBe("no models: no available node offers any\n");
  });
});
