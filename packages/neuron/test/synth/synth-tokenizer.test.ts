import { join } from "node:path";
import type { Llama, LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { synthModel } from "../../src/synth/index.js";
import { BYTE_TO_CHAR, bytesToTokenText, tokenTextToBytes } from "../../src/synth/tokenizer/byte-level.js";
import { SAMPLE_ASSISTANT_GUIDE } from "../../src/synth/tokenizer/corpus/sample-assistant-guide.js";
import { SAMPLE_SHELL_MARKDOWN } from "../../src/synth/tokenizer/corpus/sample-shell-markdown.js";
import { SAMPLE_TOOLS } from "../../src/synth/tokenizer/corpus/sample-corpus.js";
import { SAMPLE_TYPESCRIPT } from "../../src/synth/tokenizer/corpus/sample-typescript.js";
import { learnBpe } from "../../src/synth/tokenizer/learn-bpe.js";
import { preTokenize } from "../../src/synth/tokenizer/learn-bpe.js";
import { TOKEN_TYPE } from "../../src/synth/tokenizer/special-tokens.js";
import { buildVocabulary } from "../../src/synth/tokenizer/synth-vocabulary.js";
import { makeTempDir, testLlama } from "./synth-test-runtime.js";

describe("byte-level table", () => {
  it("maps the 256 bytes to distinct printable characters, printable ASCII to itself", () => {
    expect(new Set(BYTE_TO_CHAR).size).toBe(256);
    expect(BYTE_TO_CHAR[0x41]).toBe("A");
    expect(BYTE_TO_CHAR[0x20]).toBe("Ġ");
    expect(BYTE_TO_CHAR[0x0a]).toBe("Ċ");
    const bytes = new TextEncoder().encode(" Ünï 🦙\n");
    expect(tokenTextToBytes(bytesToTokenText(bytes))).toEqual(bytes);
  });
});

describe("pre-tokenizer", () => {
  it("splits like llama.cpp's qwen2 pre-tokenizer", () => {
    expect(preTokenize("Hello world's 2025 items!\n\n  done")).toEqual([
      "Hello",
      " world",
      "'s",
      " ",
      "2",
      "0",
      "2",
      "5",
      " items",
      "!\n\n",
      " ",
      " done",
    ]);
  });
});

describe("learnBpe", () => {
  it("merges the most frequent pair first, deterministically", () => {
    // Pair counts: aa 6 (overlaps count), ab 5, " a" 3; then ab 5 vs aa+a 3; then aa+ab 3 vs " "+aa 2.
    const bpe = learnBpe("aaab aaab aaab abab", 3);
    const text = (id: number) => new TextDecoder().decode(bpe.tokenBytes[id]);
    expect(bpe.merges.map(([l, r]) => `${text(l)}+${text(r)}`)).toEqual(["a+a", "a+b", "aa+ab"]);
    expect(text(bpe.tokenBytes.length - 1)).toBe("aaab");
    expect(learnBpe("aaab aaab aaab abab", 3)).toEqual(bpe);
  });

  it("learns a few thousand merges from the embedded sample in well under two seconds", () => {
    const started = performance.now();
    const vocabulary = buildVocabulary("qwen");
    expect(performance.now() - started).toBeLessThan(2000);
    expect(vocabulary.tokens.length).toBeGreaterThan(3000);
    expect(vocabulary.tokens.length).toBeLessThan(6000);
    expect(new Set(vocabulary.tokens).size).toBe(vocabulary.tokens.length);
  });

  it("puts bytes first, merge results next and the special tokens last", () => {
    const qwen = buildVocabulary("qwen");
    const llama = buildVocabulary("llama");
    expect(qwen.merges).toEqual(llama.merges);
    expect(qwen.tokens.slice(0, 256)).toEqual(BYTE_TO_CHAR);
    expect(qwen.tokens.slice(-9)).toEqual([
      "<|endoftext|>",
      "<|im_start|>",
      "<|im_end|>",
      "<tool_call>",
      "</tool_call>",
      "<tool_response>",
      "</tool_response>",
      "<think>",
      "</think>",
    ]);
    expect(qwen.tokenTypes.slice(-9)).toEqual([3, 3, 3, 4, 4, 4, 4, 4, 4]);
    expect(llama.tokens.slice(-7)).toEqual([
      "<|begin_of_text|>",
      "<|end_of_text|>",
      "<|start_header_id|>",
      "<|end_header_id|>",
      "<|eot_id|>",
      "<|eom_id|>",
      "<|python_tag|>",
    ]);
    expect(llama.tokenTypes.slice(-7).every((type) => type === TOKEN_TYPE.control)).toBe(true);
    expect(qwen.tokens[qwen.eosId]).toBe("<|im_end|>");
    expect(qwen.tokens[qwen.bosId]).toBe("<|endoftext|>");
    expect(llama.tokens[llama.eosId]).toBe("<|eot_id|>");
    expect(llama.tokens[llama.padId]).toBe("<|end_of_text|>");
    const known = new Set(qwen.tokens);
    for (const merge of qwen.merges) {
      const [left = "", right = ""] = merge.split(" ");
      expect(known.has(left) && known.has(right) && known.has(left + right)).toBe(true);
    }
  });
});

/** A request the size of a Claude Code session start: system prompt, 24 tool schemas, a few turns. */
function codingAgentRequest(): string {
  const parts = [
    SAMPLE_ASSISTANT_GUIDE,
    JSON.stringify(SAMPLE_TOOLS, null, 2),
    "Fix the failing test in packages/neuron/test/engine.test.ts and explain the cause.",
    SAMPLE_SHELL_MARKDOWN,
    SAMPLE_TYPESCRIPT,
    "The test expects 64 tokens but the stream stops early. Let me read the engine.",
  ];
  let text = "";
  for (let i = 0; Buffer.byteLength(text) < 76_000; i++) text += `${parts[i % parts.length]}\n\n`;
  return text.slice(0, 76_000);
}

describe.each(["llama", "qwen3"] as const)("%s tokenizer in llama.cpp", (arch) => {
  let llama: Llama;
  let model: LlamaModel;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ llama } = await testLlama());
    const temp = await makeTempDir();
    cleanup = temp.cleanup;
    const { path } = await synthModel({ arch, out: join(temp.dir, `${arch}.gguf`) });
    model = await llama.loadModel({ modelPath: path, vocabOnly: true });
  });
  afterAll(async () => {
    await model.dispose();
    await llama.dispose();
    await cleanup();
  });

  it.each([
    "Hello, world! It's 2025.\n\tTabs,  spaces\r\nand CRLF",
    "Ünïcödé 日本語 🦙",
    'const x = { "a": [1, 2, 3] }; // ok',
  ])("round-trips %j", (text) => {
    for (const special of [false, true]) {
      expect(model.detokenize(model.tokenize(text, special), special)).toBe(text);
    }
  });

  it("keeps special tokens whole when asked to", () => {
    const [open, close] =
      arch === "qwen3" ? ["<|im_start|>", "<|im_end|>"] : ["<|start_header_id|>", "<|end_header_id|>"];
    const text = `${open}user\nhi${close}`;
    const tokens = model.tokenize(text, true);
    expect(tokens[0]).toBe(model.tokenize(open, true)[0]);
    expect(tokens.at(-1)).toBe(model.tokenize(close, true)[0]);
    expect(model.detokenize(tokens, true)).toBe(text);
    expect(model.tokenize(text, false).length).toBeGreaterThan(tokens.length);
  });

  it("turns a 76 kB coding-agent request into tens of thousands of tokens, not bytes", () => {
    const request = codingAgentRequest();
    const count = model.tokenize(request).length;
    expect(count).toBeGreaterThan(10_000);
    expect(count).toBeLessThan(76_000 / 2);
  });
});
