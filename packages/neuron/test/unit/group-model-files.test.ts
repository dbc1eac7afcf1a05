import { describe, expect, it } from "vitest";
import { groupModelFiles, type DirEntry } from "../../src/models/group-model-files.js";

const file = (name: string): DirEntry => ({ name, isDirectory: false });
const dir = (name: string): DirEntry => ({ name, isDirectory: true });

describe("groupModelFiles", () => {
  it("makes one model per gguf file, named without the extension", () => {
    expect(groupModelFiles([file("b.gguf"), file("A.GGUF")], () => false)).toEqual([
      { kind: "gguf", id: "A", files: ["A.GGUF"] },
      { kind: "gguf", id: "b", files: ["b.gguf"] },
    ]);
  });

  it("a crashed synth-model --format hf leaves a *.tmp-* folder that the scan does not list as a model", () => {
    const entries = [dir("tiny-hf.tmp-4242-0badf00d"), file("tiny.gguf.tmp-4242-00c0ffee"), dir("real-hf")];
    expect(groupModelFiles(entries, () => true)).toEqual([{ kind: "hf", id: "real-hf", dir: "real-hf" }]);
  });

  it("joins a complete split set into one model with its parts in order, whatever the listing order", () => {
    const entries = [
      file("llama-70b-q4-00003-of-00003.gguf"),
      file("llama-70b-q4-00001-of-00003.gguf"),
      file("llama-70b-q4-00002-of-00003.gguf"),
    ];
    expect(groupModelFiles(entries, () => false)).toEqual([
      {
        kind: "gguf",
        id: "llama-70b-q4",
        files: [
          "llama-70b-q4-00001-of-00003.gguf",
          "llama-70b-q4-00002-of-00003.gguf",
          "llama-70b-q4-00003-of-00003.gguf",
        ],
      },
    ]);
  });

  it("reports an incomplete split set instead of half-serving it", () => {
    expect(
      groupModelFiles([file("big-00002-of-00004.gguf"), file("big-00004-of-00004.gguf")], () => false),
    ).toEqual([
      {
        kind: "unsupported",
        path: "big-*-of-00004.gguf",
        reason: "split GGUF set is incomplete: missing part(s) 1, 3 of 4",
      },
    ]);
  });

  it("recognises Hugging Face folders by their config.json and skips other folders", () => {
    const withConfig = new Set(["Qwen3-0.6B"]);
    expect(groupModelFiles([dir("Qwen3-0.6B"), dir("downloads")], (name) => withConfig.has(name))).toEqual([
      { kind: "hf", id: "Qwen3-0.6B", dir: "Qwen3-0.6B" },
    ]);
  });

  it("ignores hidden entries and files that are not gguf", () => {
    const entries = [
      file(".partial.gguf"),
      dir(".cache"),
      file("notes.txt"),
      file("model.gguf.part"),
      file("m.gguf"),
    ];
    expect(groupModelFiles(entries, () => true)).toEqual([{ kind: "gguf", id: "m", files: ["m.gguf"] }]);
  });
});
