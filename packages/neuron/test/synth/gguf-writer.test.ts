import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromFloat16Bits, toBfloat16Bits, toFloat16Bits } from "../../src/synth/encode/half-float.js";
import type { RowSource } from "../../src/synth/encode/row-source.js";
import { encodeValues, Q8_0_BLOCK_BYTES } from "../../src/synth/encode/tensor-encoding.js";
import { planGgufLayout } from "../../src/synth/gguf/gguf-header.js";
import { gguf, type GgufKeyValue } from "../../src/synth/gguf/gguf-types.js";
import { writeGguf } from "../../src/synth/gguf/write-gguf.js";
import { makeTempDir } from "./synth-test-runtime.js";

const rowsOf = (rowLength: number, rowCount: number, value: (index: number) => number): RowSource => ({
  rowLength,
  rowCount,
  fillRow: (row, out) => {
    for (let i = 0; i < rowLength; i++) out[i] = value(row * rowLength + i);
  },
});

describe("half floats", () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [65520, 0x7c00], // rounds up past the largest half: infinity
    [0.1, 0x2e66],
    [1 / 3, 0x3555],
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // halfway to zero, ties to even
    [3 * 2 ** -25, 0x0002], // halfway between subnormals 1 and 2, ties to even
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half, ties to even (down)
    [1 + 3 * 2 ** -11, 0x3c02], // ties to even (up)
    [-0, 0x8000],
    [Infinity, 0x7c00],
  ])("f16(%d) = %s", (value, bits) => {
    expect(toFloat16Bits(value)).toBe(bits);
  });

  it("round-trips within half an ulp", () => {
    for (let i = 0; i < 2000; i++) {
      const value = Math.sin(i) * 10 ** ((i % 9) - 4);
      const back = fromFloat16Bits(toFloat16Bits(value));
      expect(Math.abs(back - value)).toBeLessThanOrEqual(Math.abs(value) * 2 ** -11 + 2 ** -25);
    }
    expect(toFloat16Bits(NaN) & 0x7c00).toBe(0x7c00);
  });

  it("bf16 keeps the top 16 bits, rounding to nearest even", () => {
    expect(toBfloat16Bits(1)).toBe(0x3f80);
    expect(toBfloat16Bits(-2)).toBe(0xc000);
    expect(toBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie, even stays
    expect(toBfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie, rounds to even
    expect(toBfloat16Bits(Math.PI)).toBe(0x4049);
  });
});

describe("Q8_0", () => {
  it("writes an fp16 scale amax/127 then 32 int8 values per block", () => {
    const values = Float32Array.from({ length: 64 }, (_, i) => (i < 32 ? (i - 16) / 4 : i === 40 ? -1 : 0));
    const out = Buffer.alloc(2 * Q8_0_BLOCK_BYTES);
    expect(encodeValues("q8_0", values, out, 0)).toBe(68);
    // Block 0: amax 4 → d = 4/127.
    expect(out.readUInt16LE(0)).toBe(toFloat16Bits(4 / 127));
    const q0 = [...out.subarray(2, 34)].map((b) => (b << 24) >> 24);
    expect(q0[0]).toBe(-127);
    expect(q0[16]).toBe(0);
    expect(q0[17]).toBe(Math.round(0.25 * (127 / 4)));
    expect(q0[31]).toBe(Math.round(3.75 * (127 / 4)));
    // Block 1: a single -1 → d = 1/127, q = -127; the rest 0.
    expect(out.readUInt16LE(34)).toBe(toFloat16Bits(1 / 127));
    expect(out.readInt8(36 + 8)).toBe(-127);
    expect(out.readInt8(36)).toBe(0);
  });

  it("rejects widths that are not a multiple of 32", () => {
    expect(() => encodeValues("q8_0", new Float32Array(48), Buffer.alloc(100), 0)).toThrow(/multiple of 32/);
  });
});

describe("GGUF layout", () => {
  const keyValues: GgufKeyValue[] = [
    { key: "general.architecture", value: gguf.string("llama") },
    { key: "test.u32", value: gguf.u32(7) },
    { key: "test.i32", value: gguf.i32(-3) },
    { key: "test.f32", value: gguf.f32(0.5) },
    { key: "test.bool", value: gguf.bool(true) },
    { key: "test.strings", value: gguf.strings(["a", "bé"]) },
    { key: "test.i32s", value: gguf.i32s([1, -1]) },
    { key: "test.u32s", value: gguf.u32s([9]) },
    { key: "test.f32s", value: gguf.f32s([1.5]) },
  ];

  it("encodes the header byte for byte", () => {
    const layout = planGgufLayout(keyValues.slice(0, 2), [{ name: "t", dims: [3], type: "f32" }], 32);
    const h = layout.header;
    expect(h.subarray(0, 4).toString("latin1")).toBe("GGUF");
    expect(h.readUInt32LE(4)).toBe(3);
    expect(h.readBigUInt64LE(8)).toBe(1n);
    expect(h.readBigUInt64LE(16)).toBe(2n);
    // First KV: u64 key length, key, u32 type 8 (string), u64 length, value.
    expect(h.readBigUInt64LE(24)).toBe(20n);
    expect(h.subarray(32, 52).toString()).toBe("general.architecture");
    expect(h.readUInt32LE(52)).toBe(8);
    expect(h.readBigUInt64LE(56)).toBe(5n);
    expect(h.subarray(64, 69).toString()).toBe("llama");
    // Second KV: type 4 (u32) = 7.
    expect(h.readBigUInt64LE(69)).toBe(8n);
    expect(h.readUInt32LE(85)).toBe(4);
    expect(h.readUInt32LE(89)).toBe(7);
    // Tensor info: name, n_dims 1, dim 3, type 0, offset 0; then zero padding to 32.
    expect(h.readBigUInt64LE(93)).toBe(1n);
    expect(h.toString("latin1", 101, 102)).toBe("t");
    expect(h.readUInt32LE(102)).toBe(1);
    expect(h.readBigUInt64LE(106)).toBe(3n);
    expect(h.readUInt32LE(114)).toBe(0);
    expect(h.readBigUInt64LE(118)).toBe(0n);
    expect(h.length).toBe(128);
    expect(h.subarray(126).every((b) => b === 0)).toBe(true);
    expect(layout.totalBytes).toBe(128 + 12);
  });

  it("aligns every tensor to 32 bytes and fixes offsets from shapes alone", () => {
    const layout = planGgufLayout(
      keyValues,
      [
        { name: "a", dims: [3], type: "f32" },
        { name: "b", dims: [32, 2], type: "q8_0" },
        { name: "c", dims: [5], type: "f16" },
      ],
      32,
    );
    expect(layout.tensorOffsets).toEqual([0, 32, 128]);
    expect(layout.tensorBytes).toEqual([12, 68, 10]);
    expect(layout.header.length % 32).toBe(0);
    expect(layout.totalBytes).toBe(layout.header.length + 138);
  });
});

describe("writeGguf", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await makeTempDir()));
  afterAll(async () => cleanup());

  it("streams tensors that node-llama-cpp reads back with every KV type", async () => {
    const path = join(dir, "unit.gguf");
    const bytes = await writeGguf(
      path,
      [
        { key: "general.architecture", value: gguf.string("llama") },
        { key: "test.i32s", value: gguf.i32s([1, -1]) },
        { key: "test.f32", value: gguf.f32(0.5) },
        { key: "test.bool", value: gguf.bool(true) },
        { key: "test.strings", value: gguf.strings(["a", "bé"]) },
      ],
      [
        { name: "x", dims: [3], type: "f32", rows: rowsOf(3, 1, (i) => i + 1) },
        { name: "y", dims: [32, 3], type: "f16", rows: rowsOf(32, 3, (i) => i / 8) },
      ],
      32,
    );
    const file = await readFile(path);
    expect(file.length).toBe(bytes);
    const info = await readGgufFileInfo(path, { logWarnings: false });
    const metadata = info.metadata as unknown as Record<string, Record<string, unknown>>;
    expect(metadata.test).toEqual({ i32s: [1, -1], f32: 0.5, bool: true, strings: ["a", "bé"] });
    const [x, y] = info.fullTensorInfo ?? [];
    expect(x).toMatchObject({ name: "x", dimensions: [3], ggmlType: 0, offset: 0 });
    expect(y).toMatchObject({ name: "y", dimensions: [32, 3], ggmlType: 1, offset: 32 });
    const xStart = Number(x?.fileOffset);
    const yStart = Number(y?.fileOffset);
    expect(xStart % 32).toBe(0);
    expect(file.readFloatLE(xStart)).toBe(1);
    expect(file.readFloatLE(xStart + 8)).toBe(3);
    expect(file.readUInt16LE(yStart + 2 * 40)).toBe(toFloat16Bits(5));
  });
});
