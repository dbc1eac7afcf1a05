import { PREFIX_REPORT_LIMIT, PrefixReportSchema } from "@cortex/core";
import { describe, expect, it } from "vitest";
import { PrefixReportBuilder } from "../../src/engine/prefix-report.js";

const fp = (index: number): string => index.toString(16).padStart(16, "0");

describe("PrefixReportBuilder", () => {
  it("reports at most PREFIX_REPORT_LIMIT fingerprints, each once, the first added first", () => {
    const builder = new PrefixReportBuilder();
    // A tier holding far more conversations than the report may name, each added twice (a state in the
    // tier and its head), as PrefixReuse.report does.
    for (let index = 0; index < 4 * PREFIX_REPORT_LIMIT; index++) {
      builder.add(fp(index), 1000 + index, index % 2 === 0 ? "ram" : "disk");
      builder.add(fp(index), 10, "sequence");
    }
    const report = builder.build();
    expect(report.prefixes).toHaveLength(PREFIX_REPORT_LIMIT);
    expect(report.prefixes.map((item) => item.fp)).toEqual(
      Array.from({ length: PREFIX_REPORT_LIMIT }, (_, index) => fp(index)),
    );
    expect(report.prefixes[1]).toEqual({ fp: fp(1), tokens: 1001, where: "disk" });
    // What the gateway's status poll accepts.
    expect(PrefixReportSchema.safeParse(report).success).toBe(true);
  });
});
