import { describe, expect, it } from "vitest";
import { StopSequenceFilter } from "../../src/engine/fake/stop-sequence-filter.js";

function run(
  pieces: string[],
  stops: string[],
): { streamed: string[]; text: string; stop: string | undefined } {
  const streamed: string[] = [];
  const filter = new StopSequenceFilter(stops, (text) => streamed.push(text));
  let stop: string | undefined;
  for (const piece of pieces) {
    stop = filter.push(piece);
    if (stop !== undefined) break;
  }
  if (stop === undefined) filter.flush();
  return { streamed, text: filter.text, stop };
}

describe("StopSequenceFilter", () => {
  it("finds a stop sequence spread over several tokens and streams nothing of it", () => {
    expect(run(["Hello", " wor", "ld", "!"], ["o world"])).toEqual({
      streamed: ["Hell"],
      text: "Hell",
      stop: "o world",
    });
  });

  it("ends at whichever stop sequence appears first", () => {
    expect(run(["a b c d"], ["d", "b"])).toMatchObject({ text: "a ", stop: "b" });
  });

  it("releases held-back text when the stop sequence does not materialise", () => {
    expect(run(["Hel", "lo"], ["lox"])).toEqual({
      streamed: ["He", "l", "lo"],
      text: "Hello",
      stop: undefined,
    });
  });

  it("ignores empty stop strings", () => {
    expect(run(["abc"], [""])).toEqual({ streamed: ["abc"], text: "abc", stop: undefined });
  });
});
