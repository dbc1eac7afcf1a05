import { describe, expect, it } from "vitest";
import { quantTagOf } from "../../src/hub/quant-tag.js";
import { parsePullSpec, selectPullFiles, type HubFileEntry } from "../../src/hub/select-pull-files.js";

const file = (path: string, size = 100): HubFileEntry => ({
  path,
  size,
  sha256: path.endsWith(".gguf") || path.endsWith(".safetensors") ? "a".repeat(64) : null,
  gitOid: "b".repeat(40),
});

const GGUF_REPO = [
  ".gitattributes",
  "README.md",
  "Qwen3-8B-Q4_K_M.gguf",
  "Qwen3-8B-Q8_0.gguf",
  "Qwen3-8B-UD-Q4_K_XL.gguf",
  "mmproj-Qwen3-8B-F16.gguf",
  "BF16/Qwen3-8B-BF16-00001-of-00002.gguf",
  "BF16/Qwen3-8B-BF16-00002-of-00002.gguf",
  "Qwen3-8B-F16-00001-of-00003.gguf",
  "Qwen3-8B-F16-00003-of-00003.gguf",
].map((path) => file(path));

describe("quantTagOf", () => {
  it.each([
    ["Qwen3-8B-Q4_K_M.gguf", "Q4_K_M"],
    ["qwen2.5-7b-instruct-q8_0-00001-of-00002.gguf", "Q8_0"],
    ["DeepSeek-R1-UD-IQ1_S.gguf", "UD-IQ1_S"],
    ["Llama-3.2-1B-Instruct-IQ4_XS.gguf", "IQ4_XS"],
    ["gemma-3-4b-it-bf16.gguf", "BF16"],
    ["model.Q5_K_S.gguf", "Q5_K_S"],
    ["gpt-oss-20b-MXFP4.gguf", "MXFP4"],
    ["sub/dir/tiny-F32.gguf", "F32"],
    ["Llama-3.1-8B.gguf", null],
    ["Qwen3-30B-A3B.gguf", null],
  ])("%s → %s", (name, tag) => {
    expect(quantTagOf(name)).toBe(tag);
  });
});

describe("parsePullSpec", () => {
  it("reads a repo with a quant, a file, or nothing", () => {
    expect(parsePullSpec("org/m")).toEqual({ repo: "org/m" });
    expect(parsePullSpec("org/m:q4_k_m", "v2")).toEqual({ repo: "org/m", quant: "q4_k_m", revision: "v2" });
    expect(parsePullSpec("org/m:m-Q8_0.gguf")).toEqual({ repo: "org/m", file: "m-Q8_0.gguf" });
    expect(parsePullSpec("org/m:BF16/m-BF16-00001-of-00002.gguf")).toMatchObject({
      file: "BF16/m-BF16-00001-of-00002.gguf",
    });
  });

  it.each(["org", "org/", "/m", "org/m/x", "../m", "org/..", "org/m:"])("refuses %j", (text) => {
    expect(() => parsePullSpec(text)).toThrow(expect.objectContaining({ code: "invalid_request" }));
  });
});

describe("selectPullFiles", () => {
  it("picks the GGUF of a quant tag, in any case", () => {
    const plan = selectPullFiles({ repo: "org/m", quant: "q8_0" }, GGUF_REPO);
    expect(plan).toMatchObject({ kind: "gguf", id: "Qwen3-8B-Q8_0", quant: "Q8_0", bytes: 100 });
    expect(plan.files.map((f) => f.local)).toEqual(["Qwen3-8B-Q8_0.gguf"]);
  });

  it("finds Unsloth's UD- variant by its plain quant", () => {
    expect(selectPullFiles({ repo: "org/m", quant: "Q4_K_XL" }, GGUF_REPO).id).toBe("Qwen3-8B-UD-Q4_K_XL");
  });

  it("takes a whole split set, from a subfolder, into models_dir under the parts' names", () => {
    const plan = selectPullFiles({ repo: "org/m", quant: "BF16" }, GGUF_REPO);
    expect(plan.id).toBe("Qwen3-8B-BF16");
    expect(plan.bytes).toBe(200);
    expect(plan.files.map((f) => [f.path, f.local])).toEqual([
      ["BF16/Qwen3-8B-BF16-00001-of-00002.gguf", "Qwen3-8B-BF16-00001-of-00002.gguf"],
      ["BF16/Qwen3-8B-BF16-00002-of-00002.gguf", "Qwen3-8B-BF16-00002-of-00002.gguf"],
    ]);
  });

  it("by file name, a part of a split set stands for the set", () => {
    const plan = selectPullFiles({ repo: "org/m", file: "Qwen3-8B-BF16-00002-of-00002.gguf" }, GGUF_REPO);
    expect(plan.files).toHaveLength(2);
  });

  it("defaults to Q4_K_M, as llama.cpp -hf does", () => {
    expect(selectPullFiles({ repo: "org/m" }, GGUF_REPO).id).toBe("Qwen3-8B-Q4_K_M");
  });

  it("takes the only GGUF when none is named, whatever its quant", () => {
    expect(selectPullFiles({ repo: "org/m" }, [file("m-F16.gguf"), file("mmproj-F16.gguf")]).id).toBe(
      "m-F16",
    );
  });

  it("says which quants exist when none matches (an incomplete split set and the projector are not offered)", () => {
    expect(() => selectPullFiles({ repo: "org/m", quant: "Q5_K_M" }, GGUF_REPO)).toThrow(
      "no GGUF in org/m matches Q5_K_M; available: BF16, Q4_K_M, Q8_0, UD-Q4_K_XL",
    );
  });

  it("asks for a choice when several GGUFs and no Q4_K_M exist", () => {
    expect(() => selectPullFiles({ repo: "org/m" }, [file("m-Q8_0.gguf"), file("m-F16.gguf")])).toThrow(
      /several GGUF models and no Q4_K_M; pick one: org\/m:<quant> with one of F16, Q8_0/,
    );
  });

  it("asks for the file when one quant matches several models", () => {
    expect(() =>
      selectPullFiles({ repo: "org/m", quant: "Q8_0" }, [file("a-Q8_0.gguf"), file("b-Q8_0.gguf")]),
    ).toThrow(/several GGUF models in org\/m match Q8_0: a-Q8_0.gguf, b-Q8_0.gguf/);
  });

  it("names the GGUF files when an exact file is missing", () => {
    expect(() => selectPullFiles({ repo: "org/m", file: "nope.gguf" }, GGUF_REPO)).toThrow(
      /org\/m has no file nope.gguf; its GGUF files: /,
    );
  });

  it("pulls a repo without GGUF files as a safetensors folder: config, tokenizer, shards, index", () => {
    const listing = [
      ".gitattributes",
      "README.md",
      "config.json",
      "generation_config.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
      "tokenizer.json",
      "tokenizer_config.json",
      "pytorch_model.bin",
      "original/consolidated.00.pth",
      "original/params.json",
    ].map((path) => file(path));
    const plan = selectPullFiles({ repo: "Qwen/Qwen3-0.6B" }, listing);
    expect(plan).toMatchObject({ kind: "safetensors", id: "Qwen3-0.6B", quant: null });
    expect(plan.files.map((f) => f.local)).toEqual([
      "config.json",
      "generation_config.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
  });

  it("explains a quant asked of a safetensors repo, and a repo with neither", () => {
    const folder = [file("config.json"), file("model.safetensors")];
    expect(() => selectPullFiles({ repo: "org/m", quant: "Q4_K_M" }, folder)).toThrow(
      "org/m has no GGUF files; it is a safetensors model: pull it as org/m (no :Q4_K_M)",
    );
    expect(() => selectPullFiles({ repo: "org/m" }, [file("README.md"), file("model.bin")])).toThrow(
      /neither GGUF files nor a safetensors model/,
    );
  });
});
