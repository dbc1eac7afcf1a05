import { describe, expect, it } from "vitest";
import { renderTable } from "../src/format/render-table.js";

describe("renderTable", () => {
  const columns = [{ header: "NAME" }, { header: "COUNT", align: "right" as const }, { header: "NOTE" }];

  it("aligns columns two spaces apart, numbers to the right, with no trailing blanks", () => {
    const lines = renderTable(
      columns,
      [
        ["alpha", "3", ""],
        ["b", "1234", "long note"],
      ],
      { color: false },
    );
    expect(lines).toEqual(["NAME   COUNT  NOTE", "alpha      3", "b       1234  long note"]);
  });

  it("colours only the text of toned cells and the header, and only when asked", () => {
    const rows = [["alpha", { text: "9", tone: "bad" as const }, "x"]];
    expect(renderTable(columns, rows, { color: false })).toEqual(["NAME   COUNT  NOTE", "alpha      9  x"]);
    const [header, row] = renderTable(columns, rows, { color: true });
    expect(header).toBe("\x1b[1mNAME\x1b[0m   \x1b[1mCOUNT\x1b[0m  \x1b[1mNOTE\x1b[0m");
    expect(row).toBe("alpha      \x1b[31m9\x1b[0m  x");
  });
});
