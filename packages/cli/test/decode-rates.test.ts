import { describe, expect, it } from "vitest";
import { decodeRates, parseDecodeRates } from "../src/decode-rates.js";

const SCRAPE = `# HELP cortex_gateway_decode_tokens_per_second Generated tokens per second after the first token.
# TYPE cortex_gateway_decode_tokens_per_second histogram
cortex_gateway_decode_tokens_per_second_bucket{le="10",model="a",node="gpu-a",dialect="openai"} 1
cortex_gateway_decode_tokens_per_second_sum{model="a",node="gpu-a",dialect="openai"} 90
cortex_gateway_decode_tokens_per_second_count{model="a",node="gpu-a",dialect="openai"} 2
cortex_gateway_decode_tokens_per_second_sum{model="b",node="gpu-a",dialect="anthropic"} 30
cortex_gateway_decode_tokens_per_second_count{model="b",node="gpu-a",dialect="anthropic"} 1
cortex_gateway_decode_tokens_per_second_sum{model="a",node="cpu \\"b\\"",dialect="openai"} 12.5
cortex_gateway_decode_tokens_per_second_count{model="a",node="cpu \\"b\\"",dialect="openai"} 5
cortex_gateway_time_to_first_token_seconds_sum{model="a",node="gpu-a",dialect="openai"} 7
`;

describe("decode rates from the gateway's metrics", () => {
  it("adds the histogram's sum and count per node over models and dialects", () => {
    expect(parseDecodeRates(SCRAPE)).toEqual(
      new Map([
        ["gpu-a", { sum: 120, count: 3 }],
        ['cpu "b"', { sum: 12.5, count: 5 }],
      ]),
    );
    expect(parseDecodeRates("")).toEqual(new Map());
  });

  it("averages since the gateway started, or since the previous scrape when requests finished since", () => {
    const now = new Map([
      ["gpu-a", { sum: 120, count: 3 }],
      ["idle", { sum: 50, count: 1 }],
      ["never", { sum: 0, count: 0 }],
    ]);
    expect(decodeRates(now)).toEqual(
      new Map([
        ["gpu-a", 40],
        ["idle", 50],
      ]),
    );
    const before = new Map([
      ["gpu-a", { sum: 90, count: 2 }],
      ["idle", { sum: 50, count: 1 }],
    ]);
    expect(decodeRates(now, before)).toEqual(
      new Map([
        ["gpu-a", 30],
        ["idle", 50],
      ]),
    );
  });
});
